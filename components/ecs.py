"""EcsCluster: the cell's ECS cluster, with Container Insights and encrypted, logged ECS Exec.

The cluster knows nothing of the services that run on it: :class:`fintech_infra.fargate.FargateService`
takes the cluster, never the other way round.
"""

from __future__ import annotations

from typing import ClassVar

import pulumi
import pulumi_aws as aws

from fintech_infra._component import FintechComponent
from fintech_infra._naming import child
from fintech_infra.logs import encrypted_log_group
from fintech_infra.wiring import KeyRef

__all__ = ["CONTAINER_INSIGHTS", "EcsCluster"]

CONTAINER_INSIGHTS = "enhanced"
"""Container Insights level: ``enhanced`` adds task- and container-level metrics to ``enabled``."""


class EcsCluster(FintechComponent):
    """An ECS cluster whose ECS Exec sessions are KMS-encrypted and logged to an encrypted log group.

    ``exec_key`` encrypts the ECS Exec data channel between the client and the container; ``logs_key``
    encrypts the session log group (``logging = OVERRIDE``, so sessions never go to an unencrypted default).
    """

    OUTPUTS: ClassVar[dict[str, str]] = {
        "cluster_arn": "ARN of the ECS cluster.",
        "cluster_name": "Name of the ECS cluster.",
        "exec_log_group_name": "Encrypted log group that records ECS Exec sessions.",
    }

    def __init__(
        self,
        name: str,
        *,
        cell: str,
        exec_key: KeyRef,
        logs_key: KeyRef,
        log_retention_days: int,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("fintech:ecs:EcsCluster", name, opts)
        self.cell = cell
        self.exec_key = exec_key

        # Fixed names, unique per stack and cell, so operators and auditors find the logs without a lookup.
        self.exec_log_group = encrypted_log_group(
            child(name, "exec-logs"),
            key=logs_key,
            retention_days=log_retention_days,
            parent=self,
            log_group_name=f"/ecs/{pulumi.get_stack()}/{cell}/exec",
        )
        self.cluster = aws.ecs.Cluster(
            child(name, "cluster"),
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value=CONTAINER_INSIGHTS)],
            configuration=aws.ecs.ClusterConfigurationArgs(
                execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
                    kms_key_id=exec_key.arn,
                    logging="OVERRIDE",
                    log_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs(
                        cloud_watch_encryption_enabled=True,
                        cloud_watch_log_group_name=self.exec_log_group.name,
                    ),
                ),
            ),
            tags={},
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.cluster_arn: pulumi.Output[str] = self.cluster.arn
        self.cluster_name: pulumi.Output[str] = self.cluster.name
        self.exec_log_group_name: pulumi.Output[str] = self.exec_log_group.name
        self.exec_log_group_arn: pulumi.Output[str] = self.exec_log_group.arn
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "cluster_name": self.cluster_name,
                "exec_log_group_name": self.exec_log_group_name,
            }
        )
