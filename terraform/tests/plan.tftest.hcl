# Offline test of the whole configuration with a mocked AWS provider (Terraform >= 1.7):
# every expression, validation and precondition is evaluated, nothing reaches AWS.
#   terraform init -backend=false
#   terraform test -var-file=environments/staging.tfvars
#   terraform test -var-file=environments/production.tfvars
# The mocked ARNs only have to look like ARNs: the provider still validates them.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["us-east-1a", "us-east-1b", "us-east-1c"] }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_secretsmanager_random_password" {
    defaults = { random_password = "mockedpasswordmockedpassword0123" }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mock/0123456789abcdef"
      arn_suffix = "app/mock/0123456789abcdef"
      dns_name   = "mock-123456789.us-east-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/mock/0123456789abcdef"
      arn_suffix = "targetgroup/mock/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = { arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/mock/0123456789abcdef/0123456789abcdef" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_msk_configuration" {
    defaults = { arn = "arn:aws:kafka:us-east-1:123456789012:configuration/mock/00000000-0000-0000-0000-000000000000-1", latest_revision = 1 }
  }
  mock_resource "aws_msk_cluster" {
    defaults = {
      arn                          = "arn:aws:kafka:us-east-1:123456789012:cluster/mock/00000000-0000-0000-0000-000000000000-1"
      bootstrap_brokers_sasl_scram = "b-1.mock.kafka.us-east-1.amazonaws.com:9096,b-2.mock.kafka.us-east-1.amazonaws.com:9096"
    }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mock-AbCdEf"
      id  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mock-AbCdEf"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:cluster/mock" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/mock:1" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:mock" }
  }
}

variables {
  ingress_image   = "ghcr.io/acme/ccai/ingress:sha-0123456789abcdef0123456789abcdef01234567"
  processor_image = "ghcr.io/acme/ccai/processor:sha-0123456789abcdef0123456789abcdef01234567"
}

run "deployment" {
  command = apply

  # names the docs and the CD pipeline rely on
  assert {
    condition     = output.cloudwatch_log_group == "/ecs/contact-center-orchestrator-${var.environment}"
    error_message = "log group must be /ecs/contact-center-orchestrator-<environment>"
  }
  assert {
    condition     = output.ecs_cluster_name == "contact-center-orchestrator-${var.environment}"
    error_message = "unexpected cluster name"
  }
  assert {
    condition     = startswith(output.alb_url, "http")
    error_message = "alb_url must be a URL"
  }
  assert {
    condition = (aws_secretsmanager_secret.openai_api_key.name == "${var.environment}/orchestrator/openai_api_key"
    && aws_secretsmanager_secret.ingress_api_keys.name == "${var.environment}/orchestrator/ingress_api_keys")
    error_message = "secret names must be <environment>/orchestrator/..."
  }
  assert {
    condition     = startswith(output.msk_scram_secret_name, "AmazonMSK_")
    error_message = "MSK requires SCRAM secrets named AmazonMSK_..."
  }
  assert {
    condition = (aws_iam_role.task_execution.name == "${var.environment}-orchestrator-task-execution-role"
    && aws_iam_role_policy.secrets.name == "${var.environment}-orchestrator-secrets-policy")
    error_message = "execution role / secrets policy names differ from docs/deployment.md"
  }

  # services
  assert {
    condition     = module.ingress.container_definition.logConfiguration.options["awslogs-stream-prefix"] == "ingress" && module.processor.container_definition.logConfiguration.options["awslogs-stream-prefix"] == "processor"
    error_message = "stream prefixes must be ingress and processor"
  }
  assert {
    condition     = contains([for e in module.ingress.container_definition.environment : e.name], "KAFKA_BOOTSTRAP_SERVERS") && contains([for e in module.processor.container_definition.environment : "${e.name}=${e.value}"], "KAFKA_SECURITY_PROTOCOL=SASL_SSL")
    error_message = "Kafka settings missing from the task environment"
  }
  assert {
    condition     = contains([for e in module.processor.container_definition.environment : "${e.name}=${e.value}"], "KAFKA_SASL_MECHANISM=SCRAM-SHA-512")
    error_message = "SCRAM-SHA-512 expected"
  }
  assert {
    condition     = toset([for s in module.ingress.container_definition.secrets : s.name]) == toset(["INGRESS_API_KEYS", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"])
    error_message = "the ingress gets exactly its API keys and the SCRAM credentials"
  }
  assert {
    condition     = toset([for s in module.processor.container_definition.secrets : s.name]) == toset(["OPENAI_API_KEY", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"])
    error_message = "the processor gets exactly the OpenAI key and the SCRAM credentials"
  }
  assert {
    condition     = alltrue([for s in concat(module.ingress.container_definition.secrets, module.processor.container_definition.secrets) : endswith(s.valueFrom, "::")])
    error_message = "secrets must be injected by JSON key (ARN:key::)"
  }
  assert {
    condition     = module.ingress.container_definition.healthCheck.command == ["CMD", "/usr/local/bin/ccai-ingress", "--healthcheck"]
    error_message = "ingress container health check must use --healthcheck"
  }
  assert {
    condition     = local.processor_max_count <= var.topic_events_partitions
    error_message = "processor max capacity must not exceed the events partitions"
  }

  # load balancer
  assert {
    condition     = module.alb.health_check_paths.ingress == "/api/v1/health" && module.alb.health_check_paths.processor == "/api/v1/processor/health"
    error_message = "target group health check paths"
  }
  assert {
    condition     = module.alb.processor_path_patterns == toset(["/api/v1/processor/*"])
    error_message = "/api/v1/processor/* must go to the processor"
  }
}
