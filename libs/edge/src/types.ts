import type { TerraformProvider } from 'cdktf';

/** An S3 bucket as the data layer exposes it (`DataLayer.buckets.*`). */
export interface BucketRef {
  readonly name: string;
  readonly arn: string;
  /** `<bucket>.s3.<region>.amazonaws.com`: the S3 origin's domain. */
  readonly regionalDomainName: string;
}

/** The aliased AWS provider in us-east-1 (CloudFront certificates, CLOUDFRONT-scoped WAF and its logs). */
export type UsEast1Provider = TerraformProvider;

/** The site's public zone as the dns layer (`SiteZone`) hands it to the edge layer. */
export interface ZoneRef {
  readonly zoneId: string;
  /**
   * The zone's own name servers when the dns layer created it: the edge layer then refuses to plan until public DNS
   * answers exactly these for the domain (the delegation is in place). Omit for a looked-up (already delegated) zone.
   */
  readonly delegatedNameServers?: string[];
}
