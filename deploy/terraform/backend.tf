# Remote state in S3 with a DynamoDB lock table. One state per environment:
# the key comes from environments/<env>.s3.tfbackend, e.g.
#
#   terraform init -reconfigure -backend-config=environments/production.s3.tfbackend
#
# The bucket (versioned, encrypted) and the lock table (hash key "LockID")
# are created once per account before the first init; see docs/deployment.md.
terraform {
  backend "s3" {
    bucket         = "tv-shows-api-terraform-state"
    key            = "infrastructure/terraform.tfstate"
    region         = "us-east-1"
    dynamodb_table = "tv-shows-api-terraform-locks"
    encrypt        = true
  }
}
