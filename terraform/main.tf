# Contact Center AI Orchestrator on AWS: ECS Fargate (ingress + processor) behind an ALB,
# Amazon MSK (SASL/SCRAM over TLS), Secrets Manager, CloudWatch. One state per environment:
#   terraform init -backend-config="key=orchestrator/staging/terraform.tfstate"   (S3 backend)
#   terraform apply -var-file=environments/staging.tfvars -var="ingress_image=..." -var="processor_image=..."
# See docs/deployment.md.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Remote state (recommended; required for the CD pipeline, which supplies these values
  # itself). Uncomment and fill in, then give each environment its own key:
  #   terraform init -backend-config="key=orchestrator/<environment>/terraform.tfstate"
  # backend "s3" {
  #   bucket         = "your-terraform-state-bucket"
  #   key            = "orchestrator/terraform.tfstate"
  #   region         = "us-east-1"
  #   dynamodb_table = "terraform-state-lock"
  #   encrypt        = true
  # }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      Project     = "contact-center-orchestrator"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  # staging-orchestrator: IAM roles, secrets, services, task definitions, MSK, alarms
  name = "${var.environment}-orchestrator"
  # staging-orch: ALB and target groups (their names are limited to 32 characters)
  short_name = "${var.environment}-orch"
  # contact-center-orchestrator-staging: ECS cluster and the /ecs/... log group
  cluster_name   = "contact-center-orchestrator-${var.environment}"
  log_group_name = "/ecs/contact-center-orchestrator-${var.environment}"

  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # The processor never runs more tasks than the events topic has partitions: an extra
  # consumer in the group would get no partition and sit idle.
  processor_max_count = min(var.processor_max_count, var.topic_events_partitions)

  capacity_provider_strategy = [
    { capacity_provider = "FARGATE", weight = var.fargate_weight, base = var.fargate_base },
    { capacity_provider = "FARGATE_SPOT", weight = var.fargate_spot_weight, base = 0 },
  ]

  kafka_environment = {
    KAFKA_BOOTSTRAP_SERVERS = module.msk.bootstrap_brokers_sasl_scram
    KAFKA_SECURITY_PROTOCOL = "SASL_SSL"
    KAFKA_SASL_MECHANISM    = "SCRAM-SHA-512"
    TOPIC_EVENTS            = var.topic_events
    TOPIC_RESULTS           = var.topic_results
    TOPIC_DLQ               = var.topic_dlq
    LOG_LEVEL               = var.log_level
  }

  kafka_secrets = {
    KAFKA_SASL_USERNAME = "${module.msk.scram_secret_arn}:username::"
    KAFKA_SASL_PASSWORD = "${module.msk.scram_secret_arn}:password::"
  }

  alb_url = var.domain_name != "" ? "https://${var.domain_name}" : "http://${module.alb.alb_dns_name}"
}

module "network" {
  source = "./modules/network"

  name               = local.name
  vpc_cidr           = var.vpc_cidr
  az_count           = var.az_count
  single_nat_gateway = var.single_nat_gateway
}

module "alb" {
  source = "./modules/alb"

  name                = local.short_name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  allowed_cidrs       = var.allowed_cidrs
  certificate_arn     = var.certificate_arn
  idle_timeout        = var.alb_idle_timeout
  deletion_protection = var.alb_deletion_protection
  ingress_port        = var.ingress_port
  processor_port      = var.processor_port
  expose_metrics      = var.alb_expose_metrics
}

module "msk" {
  source = "./modules/msk"

  name          = local.name
  vpc_id        = module.network.vpc_id
  subnet_ids    = module.network.private_subnet_ids
  kafka_version = var.kafka_version
  broker_count  = var.msk_broker_count
  instance_type = var.msk_instance_type

  ebs_volume_size     = var.msk_ebs_volume_size
  enhanced_monitoring = var.msk_enhanced_monitoring
  replication_factor  = var.kafka_replication_factor
  min_insync_replicas = var.kafka_min_insync_replicas
  default_partitions  = var.topic_events_partitions
  log_retention_hours = var.kafka_log_retention_hours
  log_retention_days  = var.log_retention_days

  kms_key_arn                 = aws_kms_key.orchestrator.arn
  secret_recovery_window_days = var.secret_recovery_window_days

  client_security_group_ids = {
    ingress   = aws_security_group.ingress.id
    processor = aws_security_group.processor.id
    ops       = aws_security_group.ops.id
  }
}
