# ECS: the cluster (Container Insights, FARGATE + FARGATE_SPOT), the log group shared by
# both services (streams ingress/<container>/<task-id> and processor/<container>/<task-id>),
# the two services, and two one-shot task definitions for Kafka operations:
#   {env}-orchestrator-kafka-admin creates the topics (idempotent; run by the CD pipeline
#                                  after every apply, and by hand: docs/deployment.md), or
#                                  runs a Kafka CLI command (docs/runbook.md)
#   {env}-orchestrator-kcat        kcat with the SCRAM credentials, for the runbook
#                                  (inspection, dead-letter replay)

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = var.fargate_weight
    base              = var.fargate_base
  }

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = var.fargate_spot_weight
  }
}

resource "aws_cloudwatch_log_group" "orchestrator" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
}

module "ingress" {
  source = "./modules/ecs-service"

  name           = "${local.name}-ingress"
  container_name = "ingress"
  image          = var.ingress_image
  container_port = var.ingress_port
  cpu            = var.ingress_cpu
  memory         = var.ingress_memory

  environment = merge(local.kafka_environment, {
    PORT                     = tostring(var.ingress_port)
    INGRESS_MAX_BODY_BYTES   = tostring(var.ingress_max_body_bytes)
    INGRESS_RESULTS_WINDOW_S = tostring(var.ingress_results_window_s)
    }, var.ingress_rate_limit_rps > 0 ? {
    INGRESS_RATE_LIMIT_RPS   = tostring(var.ingress_rate_limit_rps)
    INGRESS_RATE_LIMIT_BURST = tostring(var.ingress_rate_limit_burst)
  } : {}, var.ingress_extra_environment)

  secrets = merge(local.kafka_secrets, {
    INGRESS_API_KEYS = "${aws_secretsmanager_secret.ingress_api_keys.arn}:api_keys::"
  })

  health_check_command = ["/usr/local/bin/ccai-ingress", "--healthcheck"]
  stop_timeout         = var.stop_timeout

  execution_role_arn                = aws_iam_role.task_execution.arn
  task_role_arn                     = aws_iam_role.ingress_task.arn
  repository_credentials_secret_arn = var.repository_credentials_secret_arn
  log_group_name                    = aws_cloudwatch_log_group.orchestrator.name
  log_stream_prefix                 = "ingress"
  aws_region                        = local.region

  cluster_arn                = aws_ecs_cluster.this.arn
  cluster_name               = aws_ecs_cluster.this.name
  subnet_ids                 = module.network.private_subnet_ids
  security_group_ids         = [aws_security_group.ingress.id]
  target_group_arn           = module.alb.ingress_target_group_arn
  capacity_provider_strategy = local.capacity_provider_strategy
  enable_execute_command     = var.enable_execute_command

  min_count           = var.ingress_min_count
  max_count           = var.ingress_max_count
  cpu_target          = var.autoscaling_cpu_target
  memory_target       = var.autoscaling_memory_target
  requests_per_target = var.ingress_requests_per_target
  alb_resource_label  = "${module.alb.alb_arn_suffix}/${module.alb.ingress_target_group_arn_suffix}"

  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_iam_role_policy.secrets, aws_iam_role_policy.logs]
}

module "processor" {
  source = "./modules/ecs-service"

  name           = "${local.name}-processor"
  container_name = "processor"
  image          = var.processor_image
  container_port = var.processor_port
  cpu            = var.processor_cpu
  memory         = var.processor_memory

  environment = merge(local.kafka_environment, {
    PROCESSOR_PORT         = tostring(var.processor_port)
    CONSUMER_GROUP         = var.consumer_group
    PROCESSOR_MAX_INFLIGHT = tostring(var.processor_max_inflight)
    PROCESSOR_FALLBACK     = var.processor_fallback
    AI_PROVIDER            = var.ai_provider
    OPENAI_MODEL           = var.openai_model
    REDACT_PII             = tostring(var.redact_pii)
  }, var.processor_extra_environment)

  secrets = merge(local.kafka_secrets, {
    OPENAI_API_KEY = "${aws_secretsmanager_secret.openai_api_key.arn}:api_key::"
  })

  health_check_command = ["/usr/local/bin/ccai-processor", "--healthcheck"]
  stop_timeout         = var.stop_timeout

  execution_role_arn                = aws_iam_role.task_execution.arn
  task_role_arn                     = aws_iam_role.processor_task.arn
  repository_credentials_secret_arn = var.repository_credentials_secret_arn
  log_group_name                    = aws_cloudwatch_log_group.orchestrator.name
  log_stream_prefix                 = "processor"
  aws_region                        = local.region

  cluster_arn                = aws_ecs_cluster.this.arn
  cluster_name               = aws_ecs_cluster.this.name
  subnet_ids                 = module.network.private_subnet_ids
  security_group_ids         = [aws_security_group.processor.id]
  target_group_arn           = module.alb.processor_target_group_arn
  capacity_provider_strategy = local.capacity_provider_strategy
  enable_execute_command     = var.enable_execute_command

  min_count     = var.processor_min_count
  max_count     = local.processor_max_count
  cpu_target    = var.autoscaling_cpu_target
  memory_target = var.autoscaling_memory_target

  lag_scaling = {
    msk_cluster_name = module.msk.cluster_name
    consumer_group   = var.consumer_group
    topic            = var.topic_events
    lag_per_task     = var.processor_lag_per_task
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this, aws_iam_role_policy.secrets, aws_iam_role_policy.logs]
}

# --- one-shot Kafka operations ------------------------------------------------------------
locals {
  topics = {
    (var.topic_events)  = var.topic_events_partitions
    (var.topic_results) = var.topic_results_partitions
    (var.topic_dlq)     = var.topic_dlq_partitions
  }

  ops_secrets = [for k in sort(keys(local.kafka_secrets)) : { name = k, valueFrom = local.kafka_secrets[k] }]

  ops_log = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.orchestrator.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "ops"
    }
  }

  # Without KAFKA_ADMIN_COMMAND: creates each topic that does not exist yet; never deletes
  # or shrinks one. A topic whose partition count differs from the variable is reported, not
  # altered: adding partitions moves keys to other partitions (docs/runbook.md).
  # With KAFKA_ADMIN_COMMAND (a containerOverrides environment entry): runs that command
  # instead, with /opt/kafka/bin on PATH and $ADMIN = "--bootstrap-server ... --command-config
  # /tmp/client.properties", e.g. kafka-consumer-groups.sh $ADMIN --describe --group ccai-processor
  kafka_admin_script = <<-SCRIPT
    set -euo pipefail
    umask 077
    cat > /tmp/client.properties <<PROPS
    security.protocol=SASL_SSL
    sasl.mechanism=SCRAM-SHA-512
    sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$${KAFKA_SASL_USERNAME}" password="$${KAFKA_SASL_PASSWORD}";
    PROPS
    export PATH="/opt/kafka/bin:$PATH"
    export ADMIN="--bootstrap-server $KAFKA_BOOTSTRAP_SERVERS --command-config /tmp/client.properties"
    if [ -n "$${KAFKA_ADMIN_COMMAND:-}" ]; then
      echo "kafka-admin: $KAFKA_ADMIN_COMMAND"
      eval "$KAFKA_ADMIN_COMMAND"
      exit
    fi
    kt() { kafka-topics.sh --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --command-config /tmp/client.properties "$@"; }
    IFS=',' read -ra specs <<< "$TOPICS"
    for spec in "$${specs[@]}"; do
      topic="$${spec%%:*}"; partitions="$${spec##*:}"
      kt --create --if-not-exists --topic "$topic" --partitions "$partitions" --replication-factor "$REPLICATION_FACTOR"
      actual=$(kt --describe --topic "$topic" | sed -n '/PartitionCount/{s/.*PartitionCount: *\([0-9]*\).*/\1/p;q;}')
      if [ "$actual" != "$partitions" ]; then
        echo "WARNING: topic $topic has $actual partitions, the configuration says $partitions (see docs/runbook.md)"
      fi
    done
    kt --describe --topic "$TOPIC_EVENTS"
    echo "kafka-admin: topics ready"
  SCRIPT

  # kcat reads /tmp/kcat.conf (bootstrap servers + SCRAM credentials); the command given at
  # run time (containerOverrides.command[0]) is run by sh.
  kcat_entrypoint = <<-SCRIPT
    umask 077
    printf 'bootstrap.servers=%s\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=%s\nsasl.password=%s\n' \
      "$KAFKA_BOOTSTRAP_SERVERS" "$KAFKA_SASL_USERNAME" "$KAFKA_SASL_PASSWORD" > /tmp/kcat.conf
    export KCAT_CONFIG=/tmp/kcat.conf
    eval "$1"
  SCRIPT
}

resource "aws_ecs_task_definition" "kafka_admin" {
  family                   = "${local.name}-kafka-admin"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = aws_iam_role.task_execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name       = "kafka-admin"
    image      = var.kafka_tools_image
    essential  = true
    entryPoint = ["/bin/bash", "-c", local.kafka_admin_script]
    environment = [
      { name = "KAFKA_BOOTSTRAP_SERVERS", value = module.msk.bootstrap_brokers_sasl_scram },
      { name = "TOPICS", value = join(",", [for t, p in local.topics : "${t}:${p}"]) },
      { name = "TOPIC_EVENTS", value = var.topic_events },
      { name = "CONSUMER_GROUP", value = var.consumer_group },
      { name = "REPLICATION_FACTOR", value = tostring(var.kafka_replication_factor) },
    ]
    secrets          = local.ops_secrets
    logConfiguration = local.ops_log
  }])
}

resource "aws_ecs_task_definition" "kcat" {
  family                   = "${local.name}-kcat"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = aws_iam_role.task_execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name       = "kcat"
    image      = var.kcat_image
    essential  = true
    entryPoint = ["/bin/sh", "-c", local.kcat_entrypoint, "kcat-task"]
    command    = ["kcat -F /tmp/kcat.conf -L"]
    environment = [
      { name = "KAFKA_BOOTSTRAP_SERVERS", value = module.msk.bootstrap_brokers_sasl_scram },
      { name = "TOPIC_EVENTS", value = var.topic_events },
      { name = "TOPIC_RESULTS", value = var.topic_results },
      { name = "TOPIC_DLQ", value = var.topic_dlq },
      { name = "CONSUMER_GROUP", value = var.consumer_group },
    ]
    secrets          = local.ops_secrets
    logConfiguration = local.ops_log
  }])
}
