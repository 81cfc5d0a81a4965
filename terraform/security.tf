# Security groups of the tasks. Traffic allowed:
#   internet -> ALB        80/443 (module alb)
#   ALB      -> ingress    8000 only;  ALB -> processor 8001 only
#   tasks    -> MSK        9096 (SASL/SCRAM over TLS; the MSK side is in module msk)
#   tasks    -> 443 anywhere (image pulls from GHCR, Secrets Manager, CloudWatch Logs, OpenAI)
# DNS to the VPC resolver is not subject to security groups.

resource "aws_security_group" "ingress" {
  name        = "${local.name}-ingress"
  description = "ccai-ingress tasks: ${var.ingress_port} from the ALB; out to MSK and HTTPS"
  vpc_id      = module.network.vpc_id

  tags = { Name = "${local.name}-ingress" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "processor" {
  name        = "${local.name}-processor"
  description = "ccai-processor tasks: ${var.processor_port} from the ALB; out to MSK and HTTPS"
  vpc_id      = module.network.vpc_id

  tags = { Name = "${local.name}-processor" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "ops" {
  name        = "${local.name}-ops"
  description = "One-shot Kafka operations tasks (kafka-admin, kcat): no inbound; out to MSK and HTTPS"
  vpc_id      = module.network.vpc_id

  tags = { Name = "${local.name}-ops" }

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  service_ports = {
    ingress   = { sg = aws_security_group.ingress.id, port = var.ingress_port }
    processor = { sg = aws_security_group.processor.id, port = var.processor_port }
  }
  kafka_clients = {
    ingress   = aws_security_group.ingress.id
    processor = aws_security_group.processor.id
    ops       = aws_security_group.ops.id
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_to_service" {
  for_each = local.service_ports

  security_group_id            = each.value.sg
  description                  = "${each.key} port from the ALB"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = module.alb.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "alb_to_service" {
  for_each = local.service_ports

  security_group_id            = module.alb.security_group_id
  description                  = "to the ${each.key} tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = each.value.sg
}

resource "aws_vpc_security_group_egress_rule" "to_msk" {
  for_each = local.kafka_clients

  security_group_id            = each.value
  description                  = "Kafka SASL/SCRAM over TLS to MSK"
  ip_protocol                  = "tcp"
  from_port                    = 9096
  to_port                      = 9096
  referenced_security_group_id = module.msk.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = local.kafka_clients

  security_group_id = each.value
  description       = "HTTPS: image registry, Secrets Manager, CloudWatch Logs, OpenAI"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
