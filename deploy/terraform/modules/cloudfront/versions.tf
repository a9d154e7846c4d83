# Called with the us-east-1 provider: CloudFront's metrics, and so the
# alarms on them and the topic they notify, exist only there.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60.0, < 6.0.0"
    }
  }
}
