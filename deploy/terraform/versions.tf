terraform {
  # 1.7: mock providers in `terraform test` (tests/*.tftest.hcl).
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x with the WAF rate-based evaluation_window_sec argument; the
      # exact build is pinned by .terraform.lock.hcl.
      version = ">= 5.60.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

# CloudFront-scoped resources (the edge WAF web ACL, the viewer certificate,
# CloudFront's metrics and the alarms on them) live in us-east-1 whatever the
# main region is.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}

# Disaster recovery region (deployment plan: cross-region copies in
# us-west-2): backup vault, replicated automated backups, S3 replicas.
provider "aws" {
  alias  = "dr"
  region = var.dr_region

  default_tags {
    tags = local.tags
  }
}
