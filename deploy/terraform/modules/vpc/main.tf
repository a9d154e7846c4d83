# VPC per the deployment plan: 10.0.0.0/16, two public subnets (ALB, NAT),
# three private subnets (tasks in AZ a and b; RDS and Redis in a, b and c).

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs         = data.aws_availability_zones.available.names
  nat_count   = var.single_nat_gateway ? 1 : length(var.public_subnet_cidrs)
  app_subnets = min(2, length(var.private_subnet_cidrs))
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_hostnames = true
  enable_dns_support   = true

  tags = {
    Name = "${var.name_prefix}-vpc"
  }
}

# Lock down the default security group: no rules at all.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = "${var.name_prefix}-igw"
  }
}

resource "aws_subnet" "public" {
  count = length(var.public_subnet_cidrs)

  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.public_subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false

  tags = {
    Name = "${var.name_prefix}-public-${local.azs[count.index]}"
    Tier = "public"
  }
}

resource "aws_subnet" "private" {
  count = length(var.private_subnet_cidrs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = var.private_subnet_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = {
    Name = "${var.name_prefix}-private-${local.azs[count.index]}"
    Tier = "private"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = {
    Name = "${var.name_prefix}-public"
  }
}

resource "aws_route_table_association" "public" {
  count = length(var.public_subnet_cidrs)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  count  = local.nat_count
  domain = "vpc"

  tags = {
    Name = "${var.name_prefix}-nat-${count.index}"
  }
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = {
    Name = "${var.name_prefix}-nat-${count.index}"
  }

  depends_on = [aws_internet_gateway.this]
}

# One route table per private subnet; each uses the NAT gateway of its AZ
# when there is one, the first one otherwise.
resource "aws_route_table" "private" {
  count  = length(var.private_subnet_cidrs)
  vpc_id = aws_vpc.this.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this[count.index < local.nat_count ? count.index : 0].id
  }

  tags = {
    Name = "${var.name_prefix}-private-${count.index}"
  }
}

resource "aws_route_table_association" "private" {
  count = length(var.private_subnet_cidrs)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Image layers from ECR come from S3: keep that traffic off the NAT gateways.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = aws_route_table.private[*].id

  tags = {
    Name = "${var.name_prefix}-s3"
  }
}

data "aws_region" "current" {}

###############################################################################
# Flow logs of all traffic, accepted and rejected (security checklist: VPC
# Flow Logs enabled)
###############################################################################

resource "aws_cloudwatch_log_group" "flow" {
  name              = "/aws/vpc/${var.name_prefix}-flow-logs"
  retention_in_days = var.flow_log_retention
}

data "aws_iam_policy_document" "flow_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow" {
  name               = "${var.name_prefix}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_assume.json
}

data "aws_iam_policy_document" "flow" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.flow.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow.id
  policy = data.aws_iam_policy_document.flow.json
}

resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow.arn
  iam_role_arn    = aws_iam_role.flow.arn
}

###############################################################################
# Network ACL of the private subnets (plan: "NACLs and Security Groups").
# Stateless, so replies are allowed explicitly; the security groups stay the
# fine-grained layer. The Amazon DNS resolver (VPC base + 2) is not subject
# to NACLs.
###############################################################################

locals {
  # ingress: from inside the VPC to the ports the private subnets serve
  private_ingress = {
    100 = { from = var.app_port, to = var.app_port, cidr = var.cidr_block } # ALB -> tasks
    110 = { from = 5432, to = 5432, cidr = var.cidr_block }                 # tasks -> RDS
    120 = { from = 6379, to = 6379, cidr = var.cidr_block }                 # tasks -> Redis
    130 = { from = 443, to = 443, cidr = var.cidr_block }                   # tasks -> interface endpoints
    # replies to connections the tasks opened (internet via NAT, RDS,
    # Redis, endpoints)
    200 = { from = 1024, to = 65535, cidr = "0.0.0.0/0" }
  }
  # egress: HTTPS anywhere (TVmaze, AWS APIs through NAT or endpoints), the
  # data stores, and replies to peers inside the VPC
  private_egress = {
    100 = { from = 443, to = 443, cidr = "0.0.0.0/0" }
    110 = { from = 5432, to = 5432, cidr = var.cidr_block }
    120 = { from = 6379, to = 6379, cidr = var.cidr_block }
    200 = { from = 1024, to = 65535, cidr = var.cidr_block }
  }
}

resource "aws_network_acl" "private" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.private[*].id

  tags = {
    Name = "${var.name_prefix}-private"
  }
}

resource "aws_network_acl_rule" "private_ingress" {
  for_each = local.private_ingress

  network_acl_id = aws_network_acl.private.id
  rule_number    = each.key
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = each.value.cidr
  from_port      = each.value.from
  to_port        = each.value.to
}

resource "aws_network_acl_rule" "private_egress" {
  for_each = local.private_egress

  network_acl_id = aws_network_acl.private.id
  rule_number    = each.key
  egress         = true
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = each.value.cidr
  from_port      = each.value.from
  to_port        = each.value.to
}

###############################################################################
# Interface endpoints: image pulls (ECR API and registry), secrets and logs
# stay inside the VPC instead of crossing the NAT gateways.
###############################################################################

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = slice(aws_subnet.private[*].id, 0, local.app_subnets)
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = {
    Name = "${var.name_prefix}-${each.key}"
  }
}
