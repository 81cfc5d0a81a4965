# IAM, least privilege:
#   {env}-orchestrator-task-execution-role  used by ECS itself to start tasks: write to the
#       service log group, read exactly the three secrets (and the optional registry
#       credentials), decrypt them with the environment's KMS key via Secrets Manager only.
#       Inline policies {env}-orchestrator-secrets-policy and {env}-orchestrator-logs-policy.
#   {env}-orchestrator-ingress-task-role / {env}-orchestrator-processor-task-role  the
#       applications' own identity: no permissions (they talk to MSK with SCRAM and to
#       OpenAI with a key), except the ECS Exec channel when enable_execute_command is set.
# The one-shot Kafka operations tasks (kafka-admin, kcat) have no task role at all.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_iam_role" "task_execution" {
  name               = "${local.name}-task-execution-role"
  description        = "ECS task execution role of ${local.name}: logs, its secrets, its KMS key"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "secrets" {
  statement {
    sid     = "ReadOrchestratorSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = compact([
      aws_secretsmanager_secret.openai_api_key.arn,
      aws_secretsmanager_secret.ingress_api_keys.arn,
      module.msk.scram_secret_arn,
      var.repository_credentials_secret_arn,
    ])
  }

  statement {
    sid       = "DecryptThroughSecretsManager"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.orchestrator.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "secrets" {
  name   = "${local.name}-secrets-policy"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.secrets.json
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "WriteServiceLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.orchestrator.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "${local.name}-logs-policy"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_iam_role" "ingress_task" {
  name               = "${local.name}-ingress-task-role"
  description        = "Runtime identity of ccai-ingress (no AWS permissions)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role" "processor_task" {
  name               = "${local.name}-processor-task-role"
  description        = "Runtime identity of ccai-processor (no AWS permissions)"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "ecs_exec" {
  statement {
    sid = "EcsExecChannel"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ecs_exec" {
  for_each = var.enable_execute_command ? {
    ingress   = aws_iam_role.ingress_task.id
    processor = aws_iam_role.processor_task.id
  } : {}

  name   = "${local.name}-${each.key}-ecs-exec-policy"
  role   = each.value
  policy = data.aws_iam_policy_document.ecs_exec.json
}
