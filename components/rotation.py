"""RotationFunction: the Lambda function Secrets Manager calls to rotate a secret we generate ourselves.

The templates (AWS's PostgreSQL single-user application, our ElastiCache user function) are in
:mod:`fintech_infra.rotation_templates`.

Either runs in the cell's private subnets behind a security group of its own (unless the caller brings
groups): HTTPS to the VPC (the Secrets Manager and KMS interface endpoints), plus the engine port to each
data store's group added by :meth:`RotationFunction.allow_to`. Logs go to a KMS-encrypted log group
created before the function (``/aws/lambda/<function>``).

Replicas: Secrets Manager rotates a replicated secret in its primary region and propagates each new value
to the replicas; a replica cannot rotate on its own. So one function in the primary region serves the
secret and its DR replica. After a regional failover, promote the replica (``StopReplicationToReplica``)
and attach a function in the DR region before the next rotation is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pulumi
import pulumi_aws as aws
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fintech_infra._component import FintechComponent
from fintech_infra._iam import XRAY_TRACES_STATEMENT, lambda_vpc_role
from fintech_infra._naming import child, physical
from fintech_infra._tags import data_concerns_tag
from fintech_infra.errors import ConfigError
from fintech_infra.logs import encrypted_log_group
from fintech_infra.rotation_templates import ELASTICACHE_HANDLER, SAR_APPLICATIONS, RotationTemplate
from fintech_infra.wiring import KeyRef

__all__ = ["RESERVED_CONCURRENCY", "RotationFunction", "RotationSettings"]

_TIMEOUT_SECONDS = 900  # ElastiCache asks for at least 12 minutes: a user takes minutes to become active again.
RESERVED_CONCURRENCY = 2
"""Concurrent runs reserved for (and capped at) the function: a rotation is four sequential calls per secret, so two
let two of the cell's secrets rotate at once while a runaway caller cannot spend the account's pool, and the
application tier cannot starve rotation. AWS keeps 100 of the account's concurrency unreserved
(:data:`fintech_infra.hardening_decisions.LAMBDA_UNRESERVED_MINIMUM`): an account at a low default limit refuses it."""


class RotationSettings(BaseModel):
    """Which rotation function to run and how often it rotates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: RotationTemplate = Field(
        description="postgresql-single-user (AWS's SAR application) or elasticache-user (ours); required, no default."
    )
    rotation_days: int = Field(
        30, ge=1, le=90, description="Days between rotations of each attached secret; default 30 (at most 90)."
    )
    semantic_version: str | None = Field(
        None, description="Pinned version of the SAR application; default None deploys the latest at creation."
    )


class RotationFunction(FintechComponent):
    """A Secrets Manager rotation function in the private subnets, for secrets under one key."""

    OUTPUTS: ClassVar[dict[str, str]] = {
        "function_arn": "ARN of the rotation function (what a SecretRotation names).",
        "function_name": "The function's name (deterministic: the component's name).",
        "security_group_id": "The function's own security group; None when the caller brought groups.",
        "template": "The rotation template (postgresql-single-user or elasticache-user).",
    }

    def __init__(
        self,
        name: str,
        *,
        template: RotationTemplate,
        subnet_ids: Sequence[pulumi.Input[str]],
        key: KeyRef,
        logs_key: KeyRef,
        log_retention_days: int,
        vpc_id: pulumi.Input[str] | None = None,
        vpc_cidr: str | None = None,
        security_group_ids: Sequence[pulumi.Input[str]] | None = None,
        rotation_days: int = 30,
        semantic_version: str | None = None,
        data_concerns: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``data_concerns`` are the stores the function connects to (a PostgreSQL rotation, its concern): its own
        security group declares them (``DataConcerns`` tag), and the data-path guardrail holds it to exactly those."""
        self._data_concerns = tuple(data_concerns)
        self.settings = _settings(name, template, rotation_days, semantic_version)
        if (vpc_id is None) == (security_group_ids is None):
            raise ConfigError(
                f"{name}: give exactly one of `vpc_id` (with vpc_cidr) or `security_group_ids`; "
                f"got vpc_id={'set' if vpc_id is not None else None}, security_group_ids={security_group_ids!r}"
            )
        if vpc_id is not None and not vpc_cidr:
            raise ConfigError(f"{name}.vpc_cidr: {vpc_cidr!r} is missing; allowed: the VPC's CIDR block")
        if not subnet_ids:
            raise ConfigError(f"{name}.subnet_ids: [] has no subnet; allowed: the cell's private subnets")
        super().__init__("fintech:rotation:RotationFunction", name, opts)
        self.template = template
        self.rotation_days = self.settings.rotation_days
        self.function_name = physical(name, limit=64)
        self._key = key
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self._partition = partition.partition
        self.endpoint = pulumi.Output.concat("https://secretsmanager.", region, ".", partition.dns_suffix)

        self.security_group: aws.ec2.SecurityGroup | None = None
        groups: list[pulumi.Input[str]] = list(security_group_ids or [])
        if vpc_id is not None:
            assert vpc_cidr is not None
            self.security_group = self._security_group(name, vpc_id, vpc_cidr)
            groups = [self.security_group.id]
        self.security_group_id = self.security_group.id if self.security_group is not None else None
        log_group = encrypted_log_group(
            child(name, "logs"),
            key=logs_key,
            retention_days=log_retention_days,
            log_group_name=f"/aws/lambda/{self.function_name}",
            parent=self,
        )
        self.ready: list[pulumi.Resource] = [log_group]
        """Resources a SecretRotation must wait for (the function and its permissions)."""
        self.role: aws.iam.Role | None = None
        if template == "elasticache-user":
            self.function_arn = self._own_function(name, subnet_ids, groups, log_group, region, account)
        else:
            self.function_arn = self._sar_function(name, subnet_ids, groups, log_group, region, account)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    # -- wiring used by the data stores -------------------------------------------------------------------

    def allow_to(
        self, name: str, *, security_group_id: pulumi.Input[str], port: int, parent: pulumi.Resource
    ) -> aws.vpc.SecurityGroupEgressRule | None:
        """Egress from the function to a data store's group on ``port``; None when the caller brought groups.

        The data store's group must also admit :attr:`security_group_id` (pass it as a client of its
        DataNetwork).
        """
        if self.security_group is None:
            return None
        rule = aws.vpc.SecurityGroupEgressRule(
            name,
            security_group_id=self.security_group.id,
            referenced_security_group_id=security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"Rotation function to the data store on {port}",
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.ready.append(rule)
        return rule

    def grant_user(self, name: str, *, user_arn: pulumi.Input[str], parent: pulumi.Resource) -> aws.iam.RolePolicy:
        """Let the ``elasticache-user`` function change ``user_arn``'s password.

        Its secrets are already covered: the role may use any secret whose rotation names this function.
        """
        if self.role is None:
            raise ConfigError(
                f"{name}: grant_user is for the 'elasticache-user' template; {self.template!r} brings its own role"
            )
        policy = aws.iam.RolePolicy(
            name,
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["elasticache:DescribeUsers", "elasticache:ModifyUser"],
                            "Resource": user_arn,
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.ready.append(policy)
        return policy

    # -- building blocks ----------------------------------------------------------------------------------

    def _security_group(self, name: str, vpc_id: pulumi.Input[str], vpc_cidr: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the egress to each data store is added later as its own rule resource, and an
        # inline list would delete it. Without inline egress the provider still removes AWS's allow-all.
        group = aws.ec2.SecurityGroup(
            child(name, "sg"),
            vpc_id=vpc_id,
            description=f"Secrets Manager rotation function {self.function_name}: egress only",
            tags=data_concerns_tag(self._data_concerns),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.vpc.SecurityGroupEgressRule(
            child(name, "https-to-vpc"),
            security_group_id=group.id,
            cidr_ipv4=vpc_cidr,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="Secrets Manager and KMS interface endpoints",
            opts=pulumi.ResourceOptions(parent=self),
        )
        if self.settings.template == "elasticache-user":
            aws.vpc.SecurityGroupEgressRule(
                child(name, "https-to-elasticache-api"),
                security_group_id=group.id,
                cidr_ipv4="0.0.0.0/0",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="ElastiCache API (no interface endpoint in the VPC), through NAT",
                opts=pulumi.ResourceOptions(parent=self),
            )
        return group

    def _sar_function(
        self,
        name: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        groups: Sequence[pulumi.Input[str]],
        log_group: aws.cloudwatch.LogGroup,
        region: pulumi.Output[str],
        account: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        stack = aws.serverlessrepository.CloudFormationStack(
            child(name, "app"),
            name=self.function_name,
            application_id=SAR_APPLICATIONS[self.template],
            semantic_version=self.settings.semantic_version,
            # The template creates an IAM role and a resource policy letting Secrets Manager invoke it.
            capabilities=["CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"],
            parameters={
                "endpoint": self.endpoint,
                "functionName": self.function_name,
                "vpcSubnetIds": pulumi.Output.all(*subnet_ids).apply(",".join),
                "vpcSecurityGroupIds": pulumi.Output.all(*groups).apply(",".join),
                "kmsKeyArn": self._key.arn,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        self.ready.append(stack)
        # The template's RotationLambdaARN output; the function name fixes the same ARN where it is missing.
        derived = pulumi.Output.concat(
            "arn:", self._partition, ":lambda:", region, ":", account, ":function:", self.function_name
        )
        return pulumi.Output.all(stack.outputs, derived).apply(
            lambda values: str((values[0] or {}).get("RotationLambdaARN") or values[1])
        )

    def _own_function(
        self,
        name: str,
        subnet_ids: Sequence[pulumi.Input[str]],
        groups: Sequence[pulumi.Input[str]],
        log_group: aws.cloudwatch.LogGroup,
        region: pulumi.Output[str],
        account: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        self.role, vpc_access = lambda_vpc_role(
            name, description=f"Rotation function {self.function_name}", partition=self._partition, parent=self
        )
        base = aws.iam.RolePolicy(
            child(name, "base-policy"),
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": self._key.arn,
                        },
                        XRAY_TRACES_STATEMENT,
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self.role),
        )
        function = aws.lambda_.Function(
            child(name, "function"),
            name=self.function_name,
            description="Rotates an ElastiCache RBAC user's password held in Secrets Manager",
            runtime="python3.12",
            handler="index.handler",
            code=pulumi.AssetArchive({"index.py": pulumi.StringAsset(ELASTICACHE_HANDLER)}),
            role=self.role.arn,
            timeout=_TIMEOUT_SECONDS,
            memory_size=256,
            reserved_concurrent_executions=RESERVED_CONCURRENCY,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            kms_key_arn=self._key.arn,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"SECRETS_MANAGER_ENDPOINT": self.endpoint}),
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(subnet_ids=list(subnet_ids), security_group_ids=list(groups)),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, vpc_access, base]),
        )
        # Secrets this function rotates, and only those: AWS's own templates use the same condition.
        secrets = aws.iam.RolePolicy(
            child(name, "secrets-policy"),
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "secretsmanager:DescribeSecret",
                                "secretsmanager:GetSecretValue",
                                "secretsmanager:PutSecretValue",
                                "secretsmanager:UpdateSecretVersionStage",
                            ],
                            # This account's secrets in this region; the condition narrows them to the ones
                            # this function rotates.
                            "Resource": pulumi.Output.concat(
                                "arn:", self._partition, ":secretsmanager:", region, ":", account, ":secret:*"
                            ),
                            "Condition": {
                                "StringEquals": {"secretsmanager:resource/AllowRotationLambdaArn": function.arn}
                            },
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self.role),
        )
        permission = aws.lambda_.Permission(
            child(name, "invoke"),
            function=function.name,
            action="lambda:InvokeFunction",
            principal="secretsmanager.amazonaws.com",
            # Only secrets of this account; AWS advises against SourceArn so one function serves its secrets.
            source_account=account,
            opts=pulumi.ResourceOptions(parent=function),
        )
        self.ready.extend([function, permission, base, secrets])
        return function.arn


def _settings(name: str, template: str, rotation_days: int, semantic_version: str | None) -> RotationSettings:
    try:
        return RotationSettings.model_validate(
            {"template": template, "rotation_days": rotation_days, "semantic_version": semantic_version}
        )
    except ValidationError as error:
        lines = [
            f"{name}.{'.'.join(str(part) for part in item['loc'])}: {item.get('input')!r} {item['msg']}"
            for item in error.errors()
        ]
        raise ConfigError("; ".join(lines)) from None
