# observability: the alarms of the deployment guide for both services (CPU 85 %, memory
# 85 %, unhealthy targets > 0), the ALB alarms (5xx > 10 in 5 minutes, target response time
# > 5 s), the Kafka alarms (consumer lag of the processor group, offline partitions, broker
# disk), the dead-letter rate (a metric filter on the processor's JSON log lines with
# "msg":"dead-lettered"), an optional SNS topic with an e-mail subscription, and a dashboard.

locals {
  create_topic  = var.alarm_email != ""
  alarm_actions = compact([var.alarm_sns_topic_arn, local.create_topic ? aws_sns_topic.alarms[0].arn : ""])

  dead_letter_namespace = "ContactCenterOrchestrator/${var.environment}"
  dead_letter_metric    = "DeadLetteredRecords"

  msk_dims = {
    "Cluster Name"   = var.msk_cluster_name
    "Consumer Group" = var.consumer_group
    "Topic"          = var.events_topic
  }
}

resource "aws_sns_topic" "alarms" {
  count = local.create_topic ? 1 : 0

  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "email" {
  count = local.create_topic ? 1 : 0

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- per service: CPU, memory, unhealthy targets --------------------------------------------
resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  for_each = var.services

  alarm_name          = "${var.name}-${each.key}-cpu-high"
  alarm_description   = "${each.key}: average CPU above ${var.cpu_threshold} % for 10 minutes"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.value.service_name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.cpu_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "memory_high" {
  for_each = var.services

  alarm_name          = "${var.name}-${each.key}-memory-high"
  alarm_description   = "${each.key}: average memory above ${var.memory_threshold} % for 10 minutes"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = { ClusterName = var.ecs_cluster_name, ServiceName = each.value.service_name }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.memory_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  for_each = var.services

  alarm_name          = "${var.name}-${each.key}-unhealthy-targets"
  alarm_description   = "${each.key}: at least one ALB target unhealthy for 3 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value.target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- ALB: 5xx and response time -----------------------------------------------------------
resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.name}-alb-5xx"
  alarm_description   = "More than ${var.http_5xx_threshold} HTTP 5xx answers (targets + ALB) in 5 minutes"
  evaluation_periods  = 1
  threshold           = var.http_5xx_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "total"
    expression  = "FILL(target, 0) + FILL(elb, 0)"
    label       = "HTTP 5xx (targets + ALB)"
    return_data = true
  }

  metric_query {
    id = "target"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "elb"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      stat        = "Sum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "response_time" {
  alarm_name          = "${var.name}-alb-response-time"
  alarm_description   = "Average target response time above ${var.response_time_threshold} s for 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.response_time_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- Kafka: consumer lag, offline partitions, broker disk ---------------------------------
resource "aws_cloudwatch_metric_alarm" "consumer_lag" {
  alarm_name          = "${var.name}-processor-consumer-lag"
  alarm_description   = "Consumer group ${var.consumer_group} more than ${var.consumer_lag_threshold} records behind on ${var.events_topic} for 15 minutes"
  namespace           = "AWS/Kafka"
  metric_name         = "SumOffsetLag"
  dimensions          = local.msk_dims
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.consumer_lag_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "offline_partitions" {
  alarm_name          = "${var.name}-msk-offline-partitions"
  alarm_description   = "MSK cluster ${var.msk_cluster_name} has partitions without a leader (broker outage)"
  namespace           = "AWS/Kafka"
  metric_name         = "OfflinePartitionsCount"
  dimensions          = { "Cluster Name" = var.msk_cluster_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "broker_disk" {
  for_each = toset([for i in range(var.msk_broker_count) : tostring(i + 1)])

  alarm_name          = "${var.name}-msk-broker-${each.key}-disk"
  alarm_description   = "MSK broker ${each.key} data volume more than ${var.broker_disk_threshold} % full"
  namespace           = "AWS/Kafka"
  metric_name         = "KafkaDataLogsDiskUsed"
  dimensions          = { "Cluster Name" = var.msk_cluster_name, "Broker ID" = each.key }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.broker_disk_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# --- dead letters ---------------------------------------------------------------------------
resource "aws_cloudwatch_log_metric_filter" "dead_lettered" {
  name           = "${var.name}-dead-lettered"
  log_group_name = var.log_group_name
  pattern        = "{ $.msg = \"dead-lettered\" }"

  metric_transformation {
    name          = local.dead_letter_metric
    namespace     = local.dead_letter_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-processor-dead-letters"
  alarm_description   = "More than ${var.dead_letter_threshold} records dead-lettered in 5 minutes"
  namespace           = local.dead_letter_namespace
  metric_name         = local.dead_letter_metric
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.dead_letter_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  depends_on = [aws_cloudwatch_log_metric_filter.dead_lettered]
}

# --- dashboard ----------------------------------------------------------------------------
resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "CPU and memory (%)"
          region = var.aws_region
          stat   = "Average"
          period = 60
          metrics = flatten([for k, s in var.services : [
            ["AWS/ECS", "CPUUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", s.service_name, { label = "${k} CPU" }],
            ["AWS/ECS", "MemoryUtilization", "ClusterName", var.ecs_cluster_name, "ServiceName", s.service_name, { label = "${k} memory" }],
          ]])
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Running tasks"
          region = var.aws_region
          stat   = "Average"
          period = 60
          metrics = [for k, s in var.services :
            ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", var.ecs_cluster_name, "ServiceName", s.service_name, { label = k }]
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "ALB requests and 5xx"
          region = var.aws_region
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix, { label = "requests" }],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { label = "target 5xx" }],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { label = "ALB 5xx" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Target response time (s)"
          region = var.aws_region
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "Average", label = "average" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p99", label = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Consumer lag of ${var.consumer_group} on ${var.events_topic}"
          region = var.aws_region
          stat   = "Maximum"
          period = 60
          metrics = [
            ["AWS/Kafka", "SumOffsetLag", "Cluster Name", var.msk_cluster_name, "Consumer Group", var.consumer_group, "Topic", var.events_topic, { label = "sum offset lag" }],
            ["AWS/Kafka", "MaxOffsetLag", "Cluster Name", var.msk_cluster_name, "Consumer Group", var.consumer_group, "Topic", var.events_topic, { label = "max offset lag" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Dead-lettered records"
          region = var.aws_region
          stat   = "Sum"
          period = 300
          metrics = [
            [local.dead_letter_namespace, local.dead_letter_metric, { label = "dead letters / 5 min" }],
          ]
        }
      },
    ]
  })
}
