# Modes of the configuration, on the production environment file:
#
#   bootstrap = true   the first apply of an environment: the services exist
#                      with no task, auto scaling is held at zero and the
#                      business-hours schedule is off, so nothing starts
#                      before `tvshows migrate`; the alarms that watch for
#                      running tasks notify nobody yet
#   waf_blocked_countries
#                      a geo-match rule on the WAF that sees the clients
#                      (the edge one behind CloudFront)
#
#   terraform test -filter=tests/modes.tftest.hcl -var-file=environments/production.tfvars

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "us_east_1"
  source          = "./tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "dr"
  source          = "./tests/mocks"
  override_during = plan
}

variables {
  image_tag = "0123456789abcdef0123456789abcdef01234567"
}

run "bootstrap_with_blocked_countries" {
  command = plan

  variables {
    bootstrap             = true
    waf_blocked_countries = ["KP", "IR"]
  }

  assert {
    condition     = alltrue([for s in nonsensitive(module.ecs.resources).services : s.desired_count == 0])
    error_message = "bootstrap: the services start with no task"
  }

  assert {
    condition     = alltrue([for t in nonsensitive(module.ecs.resources).scaling_targets : t.min_capacity == 0 && t.max_capacity == 0])
    error_message = "bootstrap: auto scaling may not start tasks before the schema exists"
  }

  assert {
    condition     = length(nonsensitive(module.ecs.resources).business_hours) == 0
    error_message = "bootstrap: no business-hours schedule (it would start tasks)"
  }

  assert {
    condition = alltrue([for k in ["api_running_tasks", "worker_running_tasks", "no_healthy_targets", "error_rate", "queue_backlog"] :
    !nonsensitive(module.cloudwatch.resources).alarms[k].actions_enabled])
    error_message = "bootstrap: the alarms that watch for running tasks notify nobody"
  }

  assert {
    # the migrate task definition is complete: it is what runs next
    condition     = jsondecode(nonsensitive(module.ecs.resources).task_definitions.migrate.container_definitions)[0].command == ["migrate"]
    error_message = "bootstrap: the migrate task definition exists"
  }

  assert {
    condition = anytrue([for r in nonsensitive(module.waf_edge[0].resources).web_acl.rule :
      r.name == "blocked-countries" &&
    try(sort(r.statement[0].geo_match_statement[0].country_codes), []) == tolist(["IR", "KP"])])
    error_message = "the edge WAF refuses the listed countries"
  }

  assert {
    condition     = !anytrue([for r in nonsensitive(module.waf_regional.resources).web_acl.rule : r.name == "blocked-countries"])
    error_message = "behind CloudFront the regional WAF sees edge addresses: no geo rule there"
  }
}
