import type { TerraformProvider } from 'cdktf';

/** An S3 bucket as the data layer exposes it (`DataLayer.buckets.*`). */
export interface BucketRef {
  readonly name: string;
  readonly arn: string;
  /** `<bucket>.s3.<region>.amazonaws.com`: the S3 origin's domain. */
  readonly regionalDomainName: string;
}

/** Where the site's public hosted zone comes from. */
export type HostedZoneSource = { readonly mode: 'create' } | { readonly mode: 'lookup'; readonly name: string };

/** The aliased AWS provider in us-east-1 (CloudFront certificates, CLOUDFRONT-scoped WAF and its logs). */
export type UsEast1Provider = TerraformProvider;
