# WAF web ACL per the deployment plan: rate limiting at 100 requests per
# minute per client address (a 60-second evaluation window, not the legacy
# 5-minute one), AWS managed SQL injection and common rule sets (the common
# set includes the XSS rules), plus an explicit XSS rule on the URI and
# query string, known bad inputs, an operator-managed block list and, when
# blocked_countries is set, a geo-match rule.

resource "aws_wafv2_ip_set" "blocked" {
  name               = "${var.name}-blocked"
  description        = "Client addresses blocked by operators (docs/runbooks/security-incidents.md)"
  scope              = var.scope
  ip_address_version = "IPV4"
  addresses          = var.blocked_cidrs
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "tvshows API: rate limit, managed rules"
  scope       = var.scope

  default_action {
    allow {}
  }

  custom_response_body {
    key          = "rate_limited"
    content_type = "APPLICATION_JSON"
    content      = jsonencode({ error = "Rate limit exceeded", retry_after = var.rate_window_seconds })
  }

  custom_response_body {
    key          = "forbidden"
    content_type = "APPLICATION_JSON"
    content      = jsonencode({ error = "Forbidden" })
  }

  dynamic "rule" {
    for_each = var.require_origin_header ? [1] : []
    content {
      name     = "require-origin-header"
      priority = 0

      action {
        block {
          custom_response {
            response_code            = 403
            custom_response_body_key = "forbidden"
          }
        }
      }

      statement {
        not_statement {
          statement {
            byte_match_statement {
              search_string         = var.origin_header_value
              positional_constraint = "EXACTLY"
              field_to_match {
                single_header {
                  name = "x-origin-verify"
                }
              }
              text_transformation {
                priority = 0
                type     = "NONE"
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-origin-header"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "blocked-addresses"
    priority = 1

    action {
      block {
        custom_response {
          response_code            = 403
          custom_response_body_key = "forbidden"
        }
      }
    }

    statement {
      ip_set_reference_statement {
        arn = aws_wafv2_ip_set.blocked.arn
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-blocked"
      sampled_requests_enabled   = true
    }
  }

  # Countries refused outright (plan: "Geographic blocking if needed"),
  # by ISO 3166 code; no rule when the list is empty.
  dynamic "rule" {
    for_each = length(var.blocked_countries) > 0 ? [1] : []
    content {
      name     = "blocked-countries"
      priority = 3

      action {
        block {
          custom_response {
            response_code            = 403
            custom_response_body_key = "forbidden"
          }
        }
      }

      statement {
        geo_match_statement {
          country_codes = var.blocked_countries
          dynamic "forwarded_ip_config" {
            for_each = var.rate_limit_key == "FORWARDED_IP" ? [1] : []
            content {
              header_name       = "X-Forwarded-For"
              fallback_behavior = "MATCH"
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-geo"
        sampled_requests_enabled   = true
      }
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 2

    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "rate_limited"
          response_header {
            name  = "Retry-After"
            value = tostring(var.rate_window_seconds)
          }
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = var.rate_window_seconds
        aggregate_key_type    = var.rate_limit_key

        dynamic "forwarded_ip_config" {
          for_each = var.rate_limit_key == "FORWARDED_IP" ? [1] : []
          content {
            header_name       = "X-Forwarded-For"
            fallback_behavior = "MATCH"
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common-rule-set"
    priority = 10

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-sqli-rule-set"
    priority = 20

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesSQLiRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-sqli"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 30

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "xss-uri-and-query"
    priority = 40

    action {
      block {}
    }

    statement {
      or_statement {
        statement {
          xss_match_statement {
            field_to_match {
              query_string {}
            }
            text_transformation {
              priority = 0
              type     = "URL_DECODE"
            }
            text_transformation {
              priority = 1
              type     = "HTML_ENTITY_DECODE"
            }
          }
        }
        statement {
          xss_match_statement {
            field_to_match {
              uri_path {}
            }
            text_transformation {
              priority = 0
              type     = "URL_DECODE"
            }
            text_transformation {
              priority = 1
              type     = "HTML_ENTITY_DECODE"
            }
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-xss"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.associate_resource ? 1 : 0

  resource_arn = var.associated_resource_arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# The log group name must start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # Never log the shared origin secret or credentials.
  redacted_fields {
    single_header {
      name = "x-origin-verify"
    }
  }

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }

  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
}
