output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Public subnets (ALB)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "All private subnets (RDS, ElastiCache subnet groups)."
  value       = aws_subnet.private[*].id
}

output "app_subnet_ids" {
  description = "Private subnets of the ECS tasks (AZ a and b)."
  value       = slice(aws_subnet.private[*].id, 0, local.app_subnets)
}

output "alb_security_group_id" {
  description = "Security group of the ALB."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the ECS tasks."
  value       = aws_security_group.app.id
}

output "db_security_group_id" {
  description = "Security group of RDS."
  value       = aws_security_group.db.id
}

output "cache_security_group_id" {
  description = "Security group of ElastiCache."
  value       = aws_security_group.cache.id
}

output "nat_public_ips" {
  description = "Addresses the tasks reach the internet (TVmaze) from."
  value       = aws_eip.nat[*].public_ip
}

output "interface_endpoint_services" {
  description = "Service names of the interface endpoints."
  value       = sort([for e in aws_vpc_endpoint.interface : e.service_name])
}

output "private_network_acl_id" {
  description = "Network ACL of the private subnets."
  value       = aws_network_acl.private.id
}

# The module's resources as planned, for tests/*.tftest.hcl (a test can
# read module outputs only) and for reviews with `terraform console`.
output "resources" {
  description = "The module's main resources, as Terraform plans them."
  sensitive   = true
  value = {
    vpc             = aws_vpc.this
    public_subnets  = aws_subnet.public
    private_subnets = aws_subnet.private
    nat_gateways    = aws_nat_gateway.this
    flow_log        = aws_flow_log.this
    nacl            = aws_network_acl.private
    nacl_ingress    = aws_network_acl_rule.private_ingress
    nacl_egress     = aws_network_acl_rule.private_egress
    endpoints       = aws_vpc_endpoint.interface
    security_groups = [aws_security_group.alb, aws_security_group.app, aws_security_group.db, aws_security_group.cache, aws_security_group.endpoints]
  }
}
