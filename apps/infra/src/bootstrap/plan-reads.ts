/**
 * What `terraform plan` reads, per Terraform type, and so what the read-only plan role must be allowed (and what it
 * must never be allowed). Every plan — a pull request's, the drift run's — refreshes every managed resource, reads
 * every data source and opens every ephemeral resource of the stack. The plan role's policy is built from this table
 * (`planReadStatements`), and apps/infra/test/plan-role.test.ts proves, on every synthesized stack of every
 * environment, that every type is in the table and that the role's effective permissions cover it; a type that is
 * not in the table fails that test with a message asking to add it here.
 *
 * Content reads (a secret's value, decryption, Terraform state) are not metadata: they are denied to the plan role
 * unless granted exactly (`PlanAccess.secretNames`). A pull request's code runs with this role, so whatever it may
 * read, any same-repository pull request may print (docs/delivery.md → Threat model).
 */

/** What a plan-time read touches beyond metadata. */
export type ContentRead =
  /** A Secrets Manager secret's value (GetSecretValue, and kms:Decrypt through Secrets Manager). */
  | 'secret-value'
  /** Another stack's Terraform state object in the state bucket (s3:GetObject, kms:Decrypt with the state key). */
  | 'state'
  /** A secret a read API returns with the metadata (e.g. a Cognito app client's secret). */
  | 'secret-in-metadata';

export interface PlanRead {
  /** The IAM actions the provider calls for this type at plan time (empty: no AWS call, or no IAM check). */
  readonly actions: readonly string[];
  /** Set when the read returns content, not metadata: refused unless exactly granted. */
  readonly content?: ContentRead;
  /** Why, where it is not obvious. */
  readonly note?: string;
}

/** Data sources: read on every plan (and refresh). */
export const DATA_SOURCE_READS: Readonly<Record<string, PlanRead>> = {
  // No AWS call, or one that IAM does not authorize.
  aws_caller_identity: { actions: [], note: 'sts:GetCallerIdentity needs no permission' },
  aws_partition: { actions: [], note: 'computed from the provider configuration' },
  aws_region: { actions: [], note: 'computed from the provider configuration' },
  aws_elb_service_account: { actions: [], note: 'a table inside the provider' },
  aws_iam_policy_document: { actions: [], note: 'rendered locally' },
  terraform_remote_state: { actions: ['s3:GetObject', 'kms:Decrypt'], content: 'state', note: 'cross-stack references: the upstream stack\'s state object' },
  // Metadata reads.
  aws_availability_zones: { actions: ['ec2:DescribeAvailabilityZones'] },
  aws_canonical_user_id: { actions: ['s3:ListAllMyBuckets'], note: 'ListBuckets returns the owner' },
  aws_ec2_managed_prefix_list: { actions: ['ec2:DescribeManagedPrefixLists', 'ec2:GetManagedPrefixListEntries'] },
  aws_ecr_image: { actions: ['ecr:DescribeImages'] },
  aws_security_group: { actions: ['ec2:DescribeSecurityGroups'] },
  aws_security_groups: { actions: ['ec2:DescribeSecurityGroups'] },
  aws_vpc: { actions: ['ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute'] },
  aws_subnet: { actions: ['ec2:DescribeSubnets'] },
  aws_subnets: { actions: ['ec2:DescribeSubnets'] },
  aws_route53_zone: { actions: ['route53:ListHostedZones', 'route53:GetHostedZone', 'route53:ListTagsForResource'] },
  aws_acm_certificate: { actions: ['acm:ListCertificates', 'acm:DescribeCertificate', 'acm:ListTagsForCertificate'] },
  aws_cloudfront_cache_policy: { actions: ['cloudfront:ListCachePolicies', 'cloudfront:GetCachePolicy'] },
  aws_cloudfront_origin_request_policy: { actions: ['cloudfront:ListOriginRequestPolicies', 'cloudfront:GetOriginRequestPolicy'] },
  aws_cloudfront_response_headers_policy: { actions: ['cloudfront:ListResponseHeadersPolicies', 'cloudfront:GetResponseHeadersPolicy'] },
  aws_eks_cluster: { actions: ['eks:DescribeCluster'] },
  aws_kms_key: { actions: ['kms:DescribeKey'] },
  aws_kms_alias: { actions: ['kms:ListAliases', 'kms:DescribeKey'] },
  aws_iam_role: { actions: ['iam:GetRole'] },
  aws_iam_policy: { actions: ['iam:ListPolicies', 'iam:GetPolicy', 'iam:GetPolicyVersion'] },
  aws_secretsmanager_secret: { actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'] },
  aws_cognito_user_pools: { actions: ['cognito-idp:ListUserPools'], note: 'the workloads stack finds the issuer\'s pool by name (lookupIssuer), not through identity\'s state' },
  aws_cognito_user_pool_clients: { actions: ['cognito-idp:ListUserPoolClients'], note: 'client ids and names only: ListUserPoolClients returns no secret (DescribeUserPoolClient does)' },
  aws_cognito_user_pool: { actions: ['cognito-idp:DescribeUserPool'] },
  aws_cognito_user_pool_signing_certificate: { actions: ['cognito-idp:GetSigningCertificate'], note: 'the public certificate' },
  // Content: refused to the plan role unless granted exactly (see PlanAccess).
  aws_secretsmanager_secret_version: { actions: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], content: 'secret-value' },
  aws_ssm_parameter: { actions: ['ssm:GetParameter', 'kms:Decrypt'], content: 'secret-value', note: 'SecureString values are decrypted' },
  aws_cognito_user_pool_client: { actions: ['cognito-idp:DescribeUserPoolClient'], content: 'secret-in-metadata', note: 'returns the client secret' },
  aws_eks_cluster_auth: { actions: [], content: 'secret-in-metadata', note: 'a bearer token for the cluster, stored in the plan: use the exec plugin (aws eks get-token) instead' },
  // hashicorp/dns and hashicorp/http: the runner asks DNS or an HTTPS endpoint directly; no AWS call.
  dns_ns_record_set: { actions: [], note: 'a DNS query from the runner' },
  dns_a_record_set: { actions: [], note: 'a DNS query from the runner' },
  http: { actions: [], note: 'an HTTPS GET from the runner (the edge\'s delegation check)' },
};

/** Ephemeral resources: opened on every plan (Terraform ≥ 1.10), never stored. */
export const EPHEMERAL_READS: Readonly<Record<string, PlanRead>> = {
  aws_secretsmanager_random_password: { actions: ['secretsmanager:GetRandomPassword'], note: 'generates a password; reads nothing stored' },
  aws_secretsmanager_secret_version: { actions: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], content: 'secret-value' },
};

/**
 * Managed resources: refresh reads each one with its service's Describe/Get/List calls (metadata), which the plan
 * role is granted per service. The few whose refresh reads content are in RESOURCE_CONTENT_READS.
 */
export const RESOURCE_READ_SERVICES: Readonly<Record<string, readonly string[]>> = {
  acm: ['aws_acm_certificate', 'aws_acm_certificate_validation'],
  autoscaling: ['aws_autoscaling_attachment'],
  cloudfront: ['aws_cloudfront_cache_policy', 'aws_cloudfront_distribution', 'aws_cloudfront_function', 'aws_cloudfront_origin_access_control', 'aws_cloudfront_response_headers_policy', 'aws_cloudfront_origin_request_policy', 'aws_cloudfront_vpc_origin'],
  cloudwatch: ['aws_cloudwatch_composite_alarm', 'aws_cloudwatch_dashboard', 'aws_cloudwatch_metric_alarm'],
  'cognito-idp': ['aws_cognito_user_pool', 'aws_cognito_user_pool_domain', 'aws_cognito_resource_server', 'aws_cognito_risk_configuration'],
  ec2: [
    'aws_default_network_acl', 'aws_default_route_table', 'aws_default_security_group', 'aws_eip', 'aws_flow_log', 'aws_internet_gateway', 'aws_launch_template', 'aws_nat_gateway',
    'aws_route', 'aws_route_table', 'aws_route_table_association', 'aws_security_group', 'aws_subnet', 'aws_vpc', 'aws_vpc_endpoint', 'aws_vpc_endpoint_policy',
    'aws_vpc_security_group_egress_rule', 'aws_vpc_security_group_ingress_rule', 'aws_network_acl', 'aws_network_acl_rule', 'aws_ec2_managed_prefix_list',
  ],
  ecr: ['aws_ecr_lifecycle_policy', 'aws_ecr_repository', 'aws_ecr_repository_policy'],
  eks: ['aws_eks_access_entry', 'aws_eks_access_policy_association', 'aws_eks_addon', 'aws_eks_cluster', 'aws_eks_node_group', 'aws_eks_pod_identity_association'],
  elasticache: ['aws_elasticache_parameter_group', 'aws_elasticache_replication_group', 'aws_elasticache_subnet_group', 'aws_elasticache_user', 'aws_elasticache_user_group'],
  elasticloadbalancing: ['aws_lb', 'aws_lb_listener', 'aws_lb_listener_rule', 'aws_lb_target_group'],
  iam: ['aws_iam_policy', 'aws_iam_role', 'aws_iam_role_policy', 'aws_iam_role_policy_attachment'],
  kms: ['aws_kms_alias', 'aws_kms_key'],
  logs: ['aws_cloudwatch_log_group', 'aws_cloudwatch_log_metric_filter', 'aws_cloudwatch_log_resource_policy'],
  rds: ['aws_db_instance', 'aws_db_parameter_group', 'aws_db_subnet_group'],
  route53: ['aws_route53_health_check', 'aws_route53_hosted_zone_dnssec', 'aws_route53_key_signing_key', 'aws_route53_query_log', 'aws_route53_record', 'aws_route53_zone'],
  s3: [
    'aws_s3_bucket', 'aws_s3_bucket_acl', 'aws_s3_bucket_cors_configuration', 'aws_s3_bucket_lifecycle_configuration', 'aws_s3_bucket_logging', 'aws_s3_bucket_ownership_controls',
    'aws_s3_bucket_policy', 'aws_s3_bucket_public_access_block', 'aws_s3_bucket_server_side_encryption_configuration', 'aws_s3_bucket_versioning', 'aws_s3_bucket_notification',
  ],
  secretsmanager: ['aws_secretsmanager_secret'],
  sns: ['aws_sns_topic', 'aws_sns_topic_policy', 'aws_sns_topic_subscription'],
  wafv2: ['aws_wafv2_web_acl', 'aws_wafv2_web_acl_logging_configuration'],
};

/** Managed resources whose refresh reads content, not only metadata. */
export const RESOURCE_CONTENT_READS: Readonly<Record<string, PlanRead>> = {
  // The provider's resourceSecretVersionRead calls GetSecretValue on every refresh, write-only value or not.
  aws_secretsmanager_secret_version: { actions: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], content: 'secret-value' },
  aws_ssm_parameter: { actions: ['ssm:GetParameter', 'kms:Decrypt'], content: 'secret-value' },
  // DescribeUserPoolClient returns the client secret (generate_secret): refresh reads it, and it is in the state.
  aws_cognito_user_pool_client: { actions: ['cognito-idp:DescribeUserPoolClient'], content: 'secret-in-metadata' },
};

/**
 * Managed resources whose refresh hands a plan role a secret and that are accepted, per role, each with the reason
 * and the way out; the tests fail on any other.
 * - `plan` (merge queue, default branch, drift): runs reviewed code only.
 * - `pullRequest`: runs any same-repository pull request's code before review, so it accepts none (a test holds it
 *   empty); the stacks whose refresh or state holds a secret are planned in the merge queue (PULL_REQUEST_PLAN_SKIPS).
 */
export const ACCEPTED_PLAN_EXPOSURES: Readonly<Record<'plan' | 'pullRequest', Readonly<Record<string, string>>>> = {
  plan: {
    aws_cognito_user_pool_client:
      'a confidential client\'s secret is returned by DescribeUserPoolClient and kept in the Terraform state, which the plan role reads anyway; ' +
      'only reviewed code (merge queue, default branch) runs with this role. Way out: keep the secret out of Terraform (create the confidential client outside the stack or rotate its secret out of band) — identity layer',
  },
  pullRequest: {},
};

/** Layers whose state holds a secret (the identity stack's: its app clients' secrets): the pull-request plan role may not read it. */
export const PULL_REQUEST_SECRET_STATES: readonly string[] = ['identity'];

/**
 * Layers not planned on pull requests (`platform bootstrap --describe` → `pullRequestPlanSkips`; plan-stacks.sh
 * reports them as planned in the merge queue, and the stacks that read their state wait for them): the pull-request
 * plan role cannot refresh them without a secret.
 */
export const PULL_REQUEST_PLAN_SKIPS: readonly string[] = ['identity'];

/**
 * Kubernetes and Helm resources are read through the cluster's API, not through IAM actions: the plan roles' EKS
 * access entries map them to a Kubernetes group (no access policy: AmazonEKSViewPolicy reads pod logs), and the
 * workloads stack's Roles (libs/compute PlanReaderRbac) grant that group get/list/watch on exactly these kinds, in
 * the namespaces the stack manages. Helm keeps its releases in ConfigMaps (helm_driver "configmap"): no Secret is
 * readable. Per Terraform type, the API group and resource a refresh reads (apps/infra/test/delivery-roles.test.ts
 * checks the Roles cover every one the stack has).
 */
export const KUBERNETES_READS: Readonly<Record<string, { readonly apiGroup: string; readonly resource: string }>> = {
  helm_release: { apiGroup: '', resource: 'configmaps' },
  kubernetes_config_map_v1: { apiGroup: '', resource: 'configmaps' },
  kubernetes_namespace_v1: { apiGroup: '', resource: 'namespaces' },
  kubernetes_service_account_v1: { apiGroup: '', resource: 'serviceaccounts' },
  kubernetes_service_v1: { apiGroup: '', resource: 'services' },
  kubernetes_deployment_v1: { apiGroup: 'apps', resource: 'deployments' },
  kubernetes_horizontal_pod_autoscaler_v2: { apiGroup: 'autoscaling', resource: 'horizontalpodautoscalers' },
  kubernetes_job_v1: { apiGroup: 'batch', resource: 'jobs' },
  kubernetes_network_policy_v1: { apiGroup: 'networking.k8s.io', resource: 'networkpolicies' },
  kubernetes_pod_disruption_budget_v1: { apiGroup: 'policy', resource: 'poddisruptionbudgets' },
  kubernetes_role_v1: { apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' },
  kubernetes_role_binding_v1: { apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
};
export const KUBERNETES_TYPES: readonly string[] = Object.keys(KUBERNETES_READS);

/** The services whose metadata the plan role reads (Describe*, Get*, List*), from the tables above. */
export function planReadServices(): string[] {
  const services = new Set(Object.keys(RESOURCE_READ_SERVICES));
  for (const read of [...Object.values(DATA_SOURCE_READS), ...Object.values(EPHEMERAL_READS)]) {
    if (read.content) continue;
    for (const action of read.actions) services.add(action.split(':')[0]);
  }
  return [...services].sort();
}

/**
 * Reads that return content even though their verb looks like metadata, in the services above or anywhere
 * (defence in depth should someone attach ReadOnlyAccess): explicitly denied to the plan role.
 */
export const PLAN_DENIED_CONTENT_READS: readonly string[] = [
  // Object and log content.
  'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartQuery', 'logs:GetQueryResults', 'logs:GetLogRecord', 'logs:StartLiveTail', 'logs:GetLogObject', 'logs:Unmask',
  // Parameter values.
  'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory',
  // Image layers and registry credentials.
  'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken',
  // Instance secrets and screens.
  'ec2:GetPasswordData', 'ec2:GetConsoleOutput', 'ec2:GetConsoleScreenshot',
  // Users' requests (headers, cookies) sampled by WAF; database log files.
  'wafv2:GetSampledRequests', 'rds:DownloadDBLogFilePortion', 'rds:DownloadCompleteDBLogFile',
  // Secrets returned with metadata.
  'cognito-idp:ListUsers', 'cognito-idp:ListUsersInGroup', 'cognito-identity:GetCredentialsForIdentity', 'cognito-identity:GetOpenIdToken',
  // A pre-signed S3 URL to upload users into a pool (UserImportJobType.PreSignedUrl): a write, which no plan makes.
  'cognito-idp:DescribeUserImportJob', 'cognito-idp:ListUserImportJobs',
  // Data-plane reads in services the platform does not use (ReadOnlyAccess grants several of them).
  'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'kinesis:GetRecords', 'sqs:ReceiveMessage', 'lambda:GetFunction',
  'athena:GetQueryResults', 'codecommit:GitPull', 'codeartifact:ReadFromRepository', 'cassandra:Select', 'es:ESHttpGet', 'es:ESHttpPost', 'aps:QueryMetrics',
];
