"""EcsCluster and FargateService under the mock engine: one synthesis, many properties."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pydantic import ValidationError

from fintech_infra.alert_tiers import AlertRoute
from fintech_infra.compute_config import RolloutSettings
from fintech_infra.config import EcsServiceSettings
from fintech_infra.ecs import EcsCluster
from fintech_infra.errors import ConfigError
from fintech_infra.fargate import FargateService
from fintech_infra.testing import RecordedResource, Recording, synthesize
from fintech_infra.validation import load_stack_config
from fintech_infra.wiring import KeyRef

REGION = "eu-central-1"
ACCOUNT = "123456789012"
LOGS_KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/logs", alias="alias/eu/logs")
EXEC_KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/exec", alias="alias/eu/exec")
SECRETS_KEY = KeyRef(arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/payments", alias="alias/eu/payments")
DB_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-AbCdEf"
API_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:eu/api/stripe-Zx12Yw"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api/0123"
ALT_TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api-green/0456"
RULE_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener-rule/app/eu/1/2/3"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/payments-api@sha256:{'a' * 64}"

API = EcsServiceSettings(
    name="api",
    image=IMAGE,
    min_tasks=3,
    max_tasks=12,
    secrets={"STRIPE_API_KEY": API_SECRET},
    environment={"LOG_LEVEL": "info"},
    deployment="rolling",
)
WORKER = EcsServiceSettings(
    name="worker", image="public.ecr.aws/acme/worker:1.2.3", min_tasks=1, max_tasks=2, deployment="rolling"
)
CHECKOUT = EcsServiceSettings(
    name="checkout", image="public.ecr.aws/acme/checkout:2.0", deployment="blue_green", execute_command=True
)
ORDERS = EcsServiceSettings(
    name="orders",
    image="public.ecr.aws/acme/orders:3.1",
    deployment="canary",
    rollout=RolloutSettings(canary_percent=5.0, canary_bake_minutes=15, rollback_latency_p95_seconds=0.5),
)
QUOTES = EcsServiceSettings(
    name="quotes",
    image="public.ecr.aws/acme/quotes:1.0",
    deployment="linear",
    rollout=RolloutSettings(linear_step_percent=20.0, linear_step_bake_minutes=3, bake_minutes=30),
)
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:eu-alarms"
WARNING_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:eu-warnings"
SHIFTING_TARGET: dict[str, Any] = {
    "target_group_arn": TG_ARN,
    "load_balancer_arn_suffix": "app/eu-alb/1234",
    "target_group_arn_suffix": "targetgroup/api/0123",
    "alternate_target_group_arn": ALT_TG_ARN,
    "alternate_target_group_arn_suffix": "targetgroup/api-green/0456",
    "production_listener_rule_arn": RULE_ARN,
}
BAD_NAMES: list[str] = []
ERRORS: list[ConfigError] = []


def _program() -> None:
    provider = aws.Provider("eu-provider", region=REGION)
    opts = pulumi.ResourceOptions(providers={"aws": provider})
    cluster = EcsCluster("eu-ecs", cell="eu", exec_key=EXEC_KEY, logs_key=LOGS_KEY, log_retention_days=2000, opts=opts)
    common: dict[str, Any] = {
        "cluster": cluster,
        "subnet_ids": ["subnet-app-a", "subnet-app-b"],
        "security_group_ids": ["sg-app"],
        "logs_key": LOGS_KEY,
        "log_retention_days": 2000,
        "alert_route": AlertRoute(critical=TOPIC_ARN, warning=WARNING_TOPIC_ARN),
        "opts": opts,
    }
    FargateService(
        "eu-api",
        API,
        target_group_arn=TG_ARN,
        load_balancer_arn_suffix="app/eu-alb/1234",
        target_group_arn_suffix="targetgroup/api/0123",
        injected_secrets={"DB_PASSWORD": f"{DB_SECRET}:password::"},
        secret_arns_readable=[DB_SECRET],
        secret_keys=[SECRETS_KEY],
        **common,
    )
    FargateService("eu-worker", WORKER, **common)
    FargateService("eu-checkout", CHECKOUT, **SHIFTING_TARGET, **common)
    FargateService("eu-orders", ORDERS, **SHIFTING_TARGET, **common)
    FargateService("eu-quotes", QUOTES, **SHIFTING_TARGET, **common)
    overrides: dict[str, Any]
    for bad_name, overrides in (
        ("eu-no-subnets", {"subnet_ids": []}),
        ("eu-no-network", {"subnet_ids": [], "security_group_ids": []}),
        ("eu-bg-no-target", {}),
        ("eu-six-groups", {"security_group_ids": [f"sg-{n}" for n in range(6)]}),
        ("eu-no-strategy", {}),
        ("eu-alb-no-topic", {**SHIFTING_TARGET, "alert_route": None}),
    ):
        settings = {
            "eu-bg-no-target": ORDERS,
            "eu-no-strategy": WORKER.model_copy(update={"deployment": None}),
            "eu-alb-no-topic": CHECKOUT,
        }.get(bad_name, WORKER)
        BAD_NAMES.append(bad_name)
        try:
            FargateService(bad_name, settings, **{**common, **overrides})
        except ConfigError as error:
            ERRORS.append(error)


@pytest.fixture(scope="module")
def rec() -> Recording:
    BAD_NAMES.clear()
    ERRORS.clear()
    return synthesize(_program)


def _one(rec: Recording, type_: str, name: str) -> RecordedResource:
    return rec.named(name, type_)


def _container(rec: Recording, service: str) -> dict[str, Any]:
    task = _one(rec, "aws:ecs/taskDefinition:TaskDefinition", f"{service}-task")
    definitions = json.loads(task.inputs["containerDefinitions"])
    assert len(definitions) == 1
    return dict(definitions[0])


def _statements(rec: Recording, name: str) -> dict[str, dict[str, Any]]:
    policy = json.loads(_one(rec, "aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])
    return {statement["Sid"]: statement for statement in policy["Statement"]}


# --- cluster ------------------------------------------------------------------------------------------


def test_cluster_has_container_insights(rec: Recording) -> None:
    cluster = _one(rec, "aws:ecs/cluster:Cluster", "eu-ecs-cluster")
    assert {"name": "containerInsights", "value": "enhanced"} in cluster.inputs["settings"]


def test_ecs_exec_logs_override_to_encrypted_group(rec: Recording) -> None:
    cluster = _one(rec, "aws:ecs/cluster:Cluster", "eu-ecs-cluster")
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    log_group = _one(rec, "aws:cloudwatch/logGroup:LogGroup", "eu-ecs-exec-logs")
    assert exec_config["logging"] == "OVERRIDE"
    assert exec_config["kmsKeyId"] == EXEC_KEY.arn
    assert exec_config["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert exec_config["logConfiguration"]["cloudWatchLogGroupName"] == "/ecs/dev/eu/exec"
    assert log_group.inputs["name"] == "/ecs/dev/eu/exec"
    assert log_group.inputs["kmsKeyId"] == LOGS_KEY.arn
    assert log_group.inputs["retentionInDays"] == 2192  # 2000 days rounded up to what CloudWatch accepts
    assert log_group.protect


def test_everything_deploys_to_the_cell_region(rec: Recording) -> None:
    regional = [r for r in rec.custom_resources() if not r.type.startswith("aws:iam/")]
    assert regional
    assert {r.region for r in regional} == {REGION}


# --- task definition ----------------------------------------------------------------------------------


def test_container_runs_non_root_read_only_unprivileged(rec: Recording) -> None:
    for service in ("eu-api", "eu-worker", "eu-checkout"):
        container = _container(rec, service)
        assert container["user"] == "1000:1000"
        assert container["readonlyRootFilesystem"] is True
        assert container["privileged"] is False
        assert container["linuxParameters"]["capabilities"]["drop"] == ["ALL"]


def test_task_definition_is_fargate_awsvpc_with_separate_roles(rec: Recording) -> None:
    task = _one(rec, "aws:ecs/taskDefinition:TaskDefinition", "eu-api-task")
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["family"] == "eu-api"
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
    execution = _one(rec, "aws:iam/role:Role", "eu-api-execution-role")
    role = _one(rec, "aws:iam/role:Role", "eu-api-task-role")
    assert task.inputs["executionRoleArn"] == execution.outputs["arn"]
    assert task.inputs["taskRoleArn"] == role.outputs["arn"]
    assert task.inputs["executionRoleArn"] != task.inputs["taskRoleArn"]


def test_secrets_are_injected_by_reference(rec: Recording) -> None:
    container = _container(rec, "eu-api")
    assert container["secrets"] == [
        {"name": "DB_PASSWORD", "valueFrom": f"{DB_SECRET}:password::"},
        {"name": "STRIPE_API_KEY", "valueFrom": API_SECRET},
    ]
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert "environment" not in _container(rec, "eu-worker")


def test_awslogs_to_the_services_encrypted_group(rec: Recording) -> None:
    container = _container(rec, "eu-api")
    log_group = _one(rec, "aws:cloudwatch/logGroup:LogGroup", "eu-api-logs")
    options = container["logConfiguration"]["options"]
    assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert options["awslogs-group"] == log_group.inputs["name"] == "/ecs/dev/eu/api"
    assert options["awslogs-region"] == REGION
    assert log_group.inputs["kmsKeyId"] == LOGS_KEY.arn
    assert log_group.inputs["retentionInDays"] == 2192


def test_read_only_root_gets_writable_tmp_and_exec_agent_paths(rec: Recording) -> None:
    assert [m["containerPath"] for m in _container(rec, "eu-api")["mountPoints"]] == ["/tmp"]
    checkout_paths = {m["containerPath"] for m in _container(rec, "eu-checkout")["mountPoints"]}
    assert checkout_paths == {"/tmp", "/managed-agents", "/var/lib/amazon/ssm", "/var/log/amazon/ssm"}


# --- IAM ------------------------------------------------------------------------------------------------


def test_roles_trust_only_ecs_tasks_in_this_account(rec: Recording) -> None:
    for role_name in ("eu-api-execution-role", "eu-api-task-role"):
        trust = json.loads(_one(rec, "aws:iam/role:Role", role_name).inputs["assumeRolePolicy"])
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_execution_role_reads_only_listed_secrets(rec: Recording) -> None:
    statements = _statements(rec, "eu-api-execution-policy")
    assert statements["ReadInjectedSecrets"]["Resource"] == [DB_SECRET, API_SECRET]  # json key stripped
    decrypt = statements["DecryptSecretsViaStores"]
    assert decrypt["Resource"] == [SECRETS_KEY.arn]
    assert f"secretsmanager.{REGION}.amazonaws.com" in decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    log_group = _one(rec, "aws:cloudwatch/logGroup:LogGroup", "eu-api-logs")
    assert statements["WriteOwnLogs"]["Resource"] == f"{log_group.outputs['arn']}:log-stream:*"
    assert statements["PullOwnImage"]["Resource"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/payments-api"
    for statement in statements.values():
        assert "*" not in json.dumps(statement["Action"])


def test_public_image_needs_no_ecr_or_secret_permissions(rec: Recording) -> None:
    assert set(_statements(rec, "eu-worker-execution-policy")) == {"WriteOwnLogs"}


def test_task_role_gets_nothing_unless_asked(rec: Recording) -> None:
    names = {r.name for r in rec.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert "eu-worker-task-policy" not in names
    assert not [r for r in rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "worker" in r.name]
    assert _statements(rec, "eu-api-task-policy")["ReadRuntimeSecrets"]["Resource"] == [DB_SECRET]
    exec_statements = _statements(rec, "eu-checkout-task-policy")
    assert exec_statements["EcsExecDecrypt"]["Resource"] == EXEC_KEY.arn
    assert "ssmmessages:OpenDataChannel" in exec_statements["EcsExecChannels"]["Action"]


# --- service ------------------------------------------------------------------------------------------


def test_service_is_private_in_the_given_network(rec: Recording) -> None:
    service = _one(rec, "aws:ecs/service:Service", "eu-api-service")
    network = service.inputs["networkConfiguration"]
    assert network == {
        "subnets": ["subnet-app-a", "subnet-app-b"],
        "securityGroups": ["sg-app"],
        "assignPublicIp": False,
    }
    assert service.inputs["launchType"] == "FARGATE"
    assert service.inputs["platformVersion"] == "LATEST"


def test_deployments_are_zero_downtime_with_rollback(rec: Recording) -> None:
    for service_name in ("eu-api-service", "eu-worker-service", "eu-checkout-service"):
        service = _one(rec, "aws:ecs/service:Service", service_name)
        assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert service.inputs["deploymentMinimumHealthyPercent"] == 100
        assert service.inputs["deploymentMaximumPercent"] == 200
        assert service.inputs["waitForSteadyState"] is True
        assert service.inputs["deploymentController"] == {"type": "ECS"}
        assert service.ignore_changes == ("desiredCount",)


def test_alb_service_has_target_and_health_check_grace(rec: Recording) -> None:
    service = _one(rec, "aws:ecs/service:Service", "eu-api-service")
    assert service.inputs["loadBalancers"] == [
        {"targetGroupArn": TG_ARN, "containerName": "api", "containerPort": 8080}
    ]
    assert service.inputs["healthCheckGracePeriodSeconds"] == 60
    assert service.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    worker = _one(rec, "aws:ecs/service:Service", "eu-worker-service")
    assert "loadBalancers" not in worker.inputs
    assert "healthCheckGracePeriodSeconds" not in worker.inputs


def test_blue_green_uses_ecs_native_strategy(rec: Recording) -> None:
    service = _one(rec, "aws:ecs/service:Service", "eu-checkout-service")
    assert service.inputs["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "10"}
    role = _one(rec, "aws:iam/role:Role", "eu-checkout-infrastructure-role")
    (target,) = service.inputs["loadBalancers"]
    assert target["advancedConfiguration"] == {
        "alternateTargetGroupArn": ALT_TG_ARN,
        "productionListenerRule": RULE_ARN,
        "roleArn": role.outputs["arn"],
    }
    attachment = _one(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "eu-checkout-infrastructure-policy")
    assert attachment.inputs["policyArn"].endswith("/AmazonECSInfrastructureRolePolicyForLoadBalancers")
    assert service.inputs["enableExecuteCommand"] is True
    assert _one(rec, "aws:ecs/service:Service", "eu-api-service").inputs["enableExecuteCommand"] is False


# --- auto scaling -------------------------------------------------------------------------------------


def test_autoscaling_bounds_come_from_settings(rec: Recording) -> None:
    target = _one(rec, "aws:appautoscaling/target:Target", "eu-api-scaling")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (3, 12)
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    service = _one(rec, "aws:ecs/service:Service", "eu-api-service")
    cluster = _one(rec, "aws:ecs/cluster:Cluster", "eu-ecs-cluster")
    assert target.inputs["resourceId"] == f"service/{cluster.outputs['name']}/{service.outputs['name']}"
    assert service.inputs["desiredCount"] == 3


def test_scaling_on_cpu_and_requests_per_target(rec: Recording) -> None:
    cpu = _one(rec, "aws:appautoscaling/policy:Policy", "eu-api-scale-cpu").inputs
    requests = _one(rec, "aws:appautoscaling/policy:Policy", "eu-api-scale-requests").inputs
    assert cpu["policyType"] == requests["policyType"] == "TargetTrackingScaling"
    cpu_config = cpu["targetTrackingScalingPolicyConfiguration"]
    assert cpu_config["predefinedMetricSpecification"] == {"predefinedMetricType": "ECSServiceAverageCPUUtilization"}
    assert cpu_config["targetValue"] == 60
    request_config = requests["targetTrackingScalingPolicyConfiguration"]
    assert request_config["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": "app/eu-alb/1234/targetgroup/api/0123",
    }
    assert request_config["targetValue"] == 1000
    names = {r.name for r in rec.of_type("aws:appautoscaling/policy:Policy")}
    assert "eu-worker-scale-cpu" in names and "eu-worker-scale-requests" not in names


def test_blue_green_scales_on_requests_of_both_target_groups(rec: Recording) -> None:
    """AWS does not support ALBRequestCountPerTarget with blue/green: the policy sums both groups' metric."""
    config = _one(rec, "aws:appautoscaling/policy:Policy", "eu-checkout-scale-requests").inputs[
        "targetTrackingScalingPolicyConfiguration"
    ]
    assert "predefinedMetricSpecification" not in config and config["targetValue"] == 1000
    primary, alternate, total = config["customizedMetricSpecification"]["metrics"]
    assert total == {
        "id": "requests",
        "expression": "FILL(primary, 0) + FILL(alternate, 0)",
        "label": "Requests per task on the live target group",
        "returnData": True,
    }
    for query, group in ((primary, "targetgroup/api/0123"), (alternate, "targetgroup/api-green/0456")):
        assert query["returnData"] is False
        assert query["metricStat"] == {
            "stat": "Sum",
            "metric": {
                "namespace": "AWS/ApplicationELB",
                "metricName": "RequestCountPerTarget",
                "dimensions": [
                    {"name": "LoadBalancer", "value": "app/eu-alb/1234"},
                    {"name": "TargetGroup", "value": group},
                ],
            },
        }
    cpu = _one(rec, "aws:appautoscaling/policy:Policy", "eu-checkout-scale-cpu").inputs
    assert cpu["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ECSServiceAverageCPUUtilization"
    }


# --- bad input ----------------------------------------------------------------------------------------


def test_service_without_subnets_fails_and_registers_nothing(rec: Recording) -> None:
    assert [str(error) for error in ERRORS[:2]] == [
        "eu-no-subnets.subnet_ids: [] is empty; allowed: one or more ids "
        "(a FargateService never falls back to a default VPC or a default security group)",
        "eu-no-network.subnet_ids: [] is empty; allowed: one or more ids "
        "(a FargateService never falls back to a default VPC or a default security group)\n"
        "eu-no-network.security_group_ids: [] is empty; allowed: one or more ids "
        "(a FargateService never falls back to a default VPC or a default security group)",
    ]
    assert len(ERRORS[1].problems) == 2
    assert not [r for r in rec if any(r.name.startswith(bad) for bad in BAD_NAMES)]


def test_traffic_shifting_without_alternate_target_fails(rec: Recording) -> None:
    assert ERRORS[2].problems[0] == (
        "eu-bg-no-target.deployment: 'canary' needs target_group_arn; allowed: 'rolling', or pass the target from "
        "Edge.add_service_target(..., blue_green=True) (canary and linear use the blue/green layout)"
    )


def test_a_service_used_alone_names_its_strategy_and_its_alarm_topic(rec: Recording) -> None:
    assert ERRORS[4].problems == (
        "eu-no-strategy.deployment: None; allowed: 'rolling', 'blue_green', 'canary', 'linear' (a stack config "
        "resolves it per environment: canary in prod, rolling elsewhere; a component used alone says which)",
    )
    assert ERRORS[5].problems == (
        "eu-alb-no-topic.alert_route: None with target_group_arn set; allowed: the cell region's alert "
        "topics (the deployment alarms that roll a bad revision back notify them)",
    )
    assert not [r for r in rec if r.name.startswith(("eu-no-strategy", "eu-alb-no-topic"))]


def test_canary_and_linear_use_ecs_strategies_with_their_steps(rec: Recording) -> None:
    orders = _one(rec, "aws:ecs/service:Service", "eu-orders-service")
    assert orders.inputs["deploymentConfiguration"] == {
        "strategy": "CANARY",
        "bakeTimeInMinutes": "10",
        "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": "15"},
    }
    quotes = _one(rec, "aws:ecs/service:Service", "eu-quotes-service")
    assert quotes.inputs["deploymentConfiguration"] == {
        "strategy": "LINEAR",
        "bakeTimeInMinutes": "30",
        "linearConfiguration": {"stepPercent": 20.0, "stepBakeTimeInMinutes": "3"},
    }
    for service, name in ((orders, "orders"), (quotes, "quotes")):
        (target,) = service.inputs["loadBalancers"]  # the blue/green layout: ECS moves the production rule
        role = _one(rec, "aws:iam/role:Role", f"eu-{name}-infrastructure-role")
        assert target["advancedConfiguration"] == {
            "alternateTargetGroupArn": ALT_TG_ARN,
            "productionListenerRule": RULE_ARN,
            "roleArn": role.outputs["arn"],
        }


def _rollback_alarms(rec: Recording, service: str) -> dict[str, RecordedResource]:
    prefix = f"eu-{service}-rollback-"
    return {
        r.name[len(prefix) :]: r
        for r in rec.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if r.name.startswith(prefix)
    }


@pytest.mark.parametrize(("service", "groups"), [("api", ["primary"]), ("orders", ["primary", "alternate"])])
def test_the_deployment_rolls_back_on_alarms_watching_every_group_traffic_runs_through(
    rec: Recording, service: str, groups: list[str]
) -> None:
    alarms = _rollback_alarms(rec, service)
    assert sorted(alarms) == sorted(f"{kind}-{group}" for kind in ("5xx", "latency") for group in groups)
    ecs = _one(rec, "aws:ecs/service:Service", f"eu-{service}-service")
    # ECS reads exactly these alarms, by the names AWS gave them, and rolls back when one goes to ALARM.
    assert ecs.inputs["alarms"] == {
        "alarmNames": [alarms[f"{kind}-{group}"].outputs["name"] for group in groups for kind in ("5xx", "latency")],
        "enable": True,
        "rollback": True,
    }
    suffixes = {"primary": "targetgroup/api/0123", "alternate": "targetgroup/api-green/0456"}
    for group in groups:
        errors, latency = alarms[f"5xx-{group}"].inputs, alarms[f"latency-{group}"].inputs
        for alarm in (errors, latency):
            # ECS rolls back by itself: the warning tier tells the team.
            assert alarm["alarmActions"] == alarm["okActions"] == [WARNING_TOPIC_ARN]
            assert alarm["tags"]["AlertTier"] == "warning"
            assert (alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (3, 2)
            assert alarm["comparisonOperator"] == "GreaterThanThreshold"
            assert alarm["treatMissingData"] == "notBreaching"
        queries = {query["id"]: query for query in errors["metricQueries"]}
        assert queries["error_rate"] == {
            "id": "error_rate",
            "expression": "100 * FILL(errors, 0) / requests",
            "label": "5xx share of responses (%)",
            "returnData": True,
        }
        for metric_id, metric in (("errors", "HTTPCode_Target_5XX_Count"), ("requests", "RequestCount")):
            assert queries[metric_id]["metric"] == {
                "namespace": "AWS/ApplicationELB",
                "metricName": metric,
                "dimensions": {"LoadBalancer": "app/eu-alb/1234", "TargetGroup": suffixes[group]},
                "period": 60,
                "stat": "Sum",
            }
        assert errors["threshold"] == 1.0
        assert latency["metricName"] == "TargetResponseTime" and latency["extendedStatistic"] == "p95"
        assert latency["dimensions"] == {"LoadBalancer": "app/eu-alb/1234", "TargetGroup": suffixes[group]}
        assert latency["period"] == 60
        assert latency["threshold"] == (0.5 if service == "orders" else 1.0)


def test_a_service_without_a_load_balancer_has_no_rollback_alarms(rec: Recording) -> None:
    assert _rollback_alarms(rec, "worker") == {}
    assert "alarms" not in _one(rec, "aws:ecs/service:Service", "eu-worker-service").inputs


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("canary_percent", 0.05, "0.05 is not a canary percentage; allowed: 0.1 to 100 in steps of 0.1"),
        ("canary_percent", 12.34, "12.34 is not a canary percentage; allowed: 0.1 to 100 in steps of 0.1"),
        ("linear_step_percent", 2.0, "2.0 is not a linear step; allowed: 3 to 100 in steps of 0.1"),
        ("canary_bake_minutes", 1441, "less than or equal to 1440"),
        ("bake_minutes", -1, "greater than or equal to 0"),
    ],
)
def test_rollout_values_aws_would_refuse_are_refused(field: str, value: float, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        RolloutSettings(**{field: value})


def test_more_security_groups_than_ecs_allows_are_refused(rec: Recording) -> None:
    assert ERRORS[3].problems == (
        "eu-six-groups.security_group_ids: 6 security groups; allowed: 1 to 5 (security groups in one ECS "
        "service's (or task's) awsvpc network configuration; the VPC quota of security groups per network "
        "interface (default 5, adjustable to 16) does not lift it: "
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html)",
    )
    assert len(ERRORS) == 6
    assert not [r for r in rec if r.name.startswith("eu-six-groups")]


@pytest.mark.parametrize("env_name", ["DB_PASSWORD", "API_KEY", "AUTH_TOKEN", "CLIENT_SECRET", "DATABASE_DSN"])
def test_secret_looking_environment_names_are_rejected(env_name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EcsServiceSettings(name="api", image="x/y:1", environment={env_name: "value"})
    assert f"{env_name!r} looks like a credential" in str(caught.value)
    assert "`secrets`" in str(caught.value)
    assert "value'" not in str(caught.value)  # the plaintext value never reaches the message


def test_secret_looking_environment_is_one_config_error_with_key_path() -> None:
    raw = {
        "environment": "dev",
        "tags": {"owner": "payments-team", "cost_center": "cc-42"},
        "cells": {
            "eu": {
                "jurisdiction": "cysec",
                "primary_region": REGION,
                "entities": [{"name": "cysec-cy", "legal_name": "Acme CY Ltd", "hostname": "api.acme.example"}],
                "concerns": [{"concern": "payments"}],
                "compute": {
                    "kind": "ecs",
                    "services": [{"name": "api", "image": "x/y:1", "environment": {"DB_PASSWORD": "hunter2"}}],
                },
            }
        },
    }
    with pytest.raises(ConfigError) as caught:
        load_stack_config(raw)
    assert str(caught.value) == (
        "invalid stack config: cells.eu.compute.services[0].environment.DB_PASSWORD: [value hidden] sits under a "
        "key named like a credential ('DB_PASSWORD'); plaintext credentials are refused in stack config; "
        "allowed: move it to the service's `secrets` as a Secrets Manager or SSM parameter ARN"
    )
    assert "hunter2" not in str(caught.value)


def test_secret_values_must_be_references_and_are_never_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        EcsServiceSettings(name="api", image="x/y:1", secrets={"DB_PASSWORD": "hunter2"})
    assert "'DB_PASSWORD' is not a secret reference" in str(caught.value)
    assert "hunter2" not in str(caught.value.errors(include_input=False))


def test_fargate_cpu_sizes_only() -> None:
    with pytest.raises(ValidationError, match="is not a Fargate CPU size; allowed: 256, 512"):
        EcsServiceSettings(name="api", image="x/y:1", cpu=300)
