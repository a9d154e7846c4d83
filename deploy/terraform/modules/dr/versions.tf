# aws: the stack's region; aws.dr: the disaster recovery region.
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      version               = ">= 5.60.0, < 6.0.0"
      configuration_aliases = [aws.dr]
    }
  }
}
