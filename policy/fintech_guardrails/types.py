"""Type tokens the rules match, as the analyzer sees them (pulumi-aws v7, pulumi-kubernetes 4).

Each was checked against the installed SDKs' ``super().__init__('<token>', ...)`` calls; a test re-checks.
``aws:lb/*`` and ``aws:alb/*`` are the same AWS resource under two modules, so both are matched.
"""

from __future__ import annotations

# Network
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NETWORK_INTERFACE = "aws:ec2/networkInterface:NetworkInterface"
EC2_INSTANCE = "aws:ec2/instance:Instance"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
NETWORK_ACL = "aws:ec2/networkAcl:NetworkAcl"
NETWORK_ACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NETWORK_ACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
DEFAULT_NETWORK_ACL = "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl"

# Keys and secrets
KMS_KEY = "aws:kms/key:Key"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

# Databases and backup
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
RDS_PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
RDS_CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
RDS_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
RDS_BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
REDIS_GLOBAL = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"

# S3
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET_OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")

# Logging and monitoring
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CHATBOT_SLACK_CHANNEL = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
SQS_QUEUE = "aws:sqs/queue:Queue"
SQS_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
SQS_REDRIVE_ALLOW_POLICY = "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy"

# Edge and compute
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LB_LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
ALB_LISTENER_RULE = "aws:alb/listenerRule:ListenerRule"
LISTENER_RULES = (LB_LISTENER_RULE, ALB_LISTENER_RULE)
LB_TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
ALB_TARGET_GROUP = "aws:alb/targetGroup:TargetGroup"
TARGET_GROUPS = (LB_TARGET_GROUP, ALB_TARGET_GROUP)
LB_LISTENER_CERTIFICATE = "aws:lb/listenerCertificate:ListenerCertificate"
LB_TARGET_GROUP_ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
ECS_CLUSTER = "aws:ecs/cluster:Cluster"
ECS_SERVICE = "aws:ecs/service:Service"
ECS_TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_TASK_SET = "aws:ecs/taskSet:TaskSet"
SCALING_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SAR_STACK = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
ELASTICACHE_SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"

# Kubernetes (custom resources: ``kubernetes:<group>/<version>:<kind>``, as pulumi-kubernetes names them)
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
K8S_TARGET_GROUP_BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
K8S_SECURITY_GROUP_POLICY = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"
K8S_NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
K8S_DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
K8S_WORKLOADS = (K8S_DEPLOYMENT, K8S_STATEFUL_SET, K8S_DAEMON_SET)
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_SECRET = "kubernetes:core/v1:Secret"
K8S_TARGET_GROUP_BINDING = "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding"
K8S_SECURITY_GROUP_POLICY = "kubernetes:vpcresources.k8s.aws/v1beta1:SecurityGroupPolicy"

# DNS, certificates, identity, registries and parameters (Route 53 and IAM are global services: not regional)
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
ACM_CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
ROUTE53_ZONE = "aws:route53/zone:Zone"
ROUTE53_RECORD = "aws:route53/record:Record"
ROUTE53_HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
IAM_USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
IAM_GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
ECR_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
# Disaster-recovery drills
SSM_DOCUMENT = "aws:ssm/document:Document"
FIS_EXPERIMENT_TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
SCHEDULER_SCHEDULE = "aws:scheduler/schedule:Schedule"
BACKUP_RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
BACKUP_RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"

ALL_AWS: tuple[str, ...] = (
    tuple(
        value
        for name, value in dict(globals()).items()
        if name.isupper() and isinstance(value, str) and value.startswith("aws:")
    )
    + LOAD_BALANCERS
    + LISTENERS
    + BUCKET_ACLS
)

# Security services and signals
GUARDDUTY_DETECTOR = "aws:guardduty/detector:Detector"
GUARDDUTY_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
SECURITYHUB_ACCOUNT = "aws:securityhub/account:Account"
SECURITYHUB_STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
LOG_METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
CONFIG_RECORDER = "aws:cfg/recorder:Recorder"
CONFIG_RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
CONFIG_DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
