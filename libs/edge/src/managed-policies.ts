/**
 * IDs of AWS-managed CloudFront policies (stable, documented at
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html and
 * …/using-managed-origin-request-policies.html). Using them by ID avoids a lookup per plan and a data source per policy.
 */
export const MANAGED_CACHE_POLICY = {
  /** Honours origin Cache-Control; default TTL 1 day, max 1 year; gzip and brotli in the key. */
  CachingOptimized: '658327ea-f89d-4fab-a63d-7e88639e58f6',
  /** TTL 0: nothing is cached, nothing is in the cache key. */
  CachingDisabled: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
} as const;

export const MANAGED_ORIGIN_REQUEST_POLICY = {
  /** Every viewer header except Host, every cookie and query string: the origin sees the request as sent. */
  AllViewerExceptHostHeader: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
} as const;

/**
 * The security group CloudFront creates in a VPC with its first VPC origin there and puts on the network interfaces it
 * sends origin traffic from; an origin's security group admits it (AWS Developer Guide, "Restrict access with VPC
 * origins"). AWS manages it: never create or change it, only reference it.
 */
export const VPC_ORIGINS_SERVICE_SECURITY_GROUP = 'CloudFront-VPCOrigins-Service-SG';
