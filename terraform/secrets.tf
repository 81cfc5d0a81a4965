# One customer-managed KMS key encrypts the MSK data at rest and every secret of the
# environment (MSK requires a customer-managed key for its SCRAM secret).
#
# Secrets (JSON values; ECS injects one key each through valueFrom "ARN:key::"):
#   {env}/orchestrator/openai_api_key    {"api_key": "sk-..."}            -> OPENAI_API_KEY (processor)
#   {env}/orchestrator/ingress_api_keys  {"api_keys": "tenant:key,..."}   -> INGRESS_API_KEYS (ingress)
#   AmazonMSK_{env}-orchestrator         {"username": .., "password": ..}  -> KAFKA_SASL_USERNAME/PASSWORD (module msk)
# The variables openai_api_key / ingress_api_keys only seed the first version. Afterwards
# Secrets Manager is the source of truth (rotation: docs/runbook.md) and Terraform ignores
# the value, so a later apply never reverts a rotated key.

resource "aws_kms_key" "orchestrator" {
  description             = "${local.name}: MSK encryption at rest and Secrets Manager secrets"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
}

resource "aws_kms_alias" "orchestrator" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.orchestrator.key_id
}

resource "aws_secretsmanager_secret" "openai_api_key" {
  name                    = "${var.environment}/orchestrator/openai_api_key"
  description             = "OpenAI API key of ccai-processor (JSON key api_key; empty = offline analyzer)"
  kms_key_id              = aws_kms_key.orchestrator.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "openai_api_key" {
  secret_id     = aws_secretsmanager_secret.openai_api_key.id
  secret_string = jsonencode({ api_key = var.openai_api_key })

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "ingress_api_keys" {
  name                    = "${var.environment}/orchestrator/ingress_api_keys"
  description             = "API keys of ccai-ingress (JSON key api_keys: tenant:key pairs, comma-separated)"
  kms_key_id              = aws_kms_key.orchestrator.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "ingress_api_keys" {
  secret_id     = aws_secretsmanager_secret.ingress_api_keys.id
  secret_string = jsonencode({ api_keys = var.ingress_api_keys })

  lifecycle {
    ignore_changes = [secret_string]
  }
}
