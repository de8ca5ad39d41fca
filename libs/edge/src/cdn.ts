import { Construct } from 'constructs';
import { CloudfrontCachePolicy } from '@cdktf/provider-aws/lib/cloudfront-cache-policy';
import { CloudfrontDistribution, type CloudfrontDistributionOrderedCacheBehavior } from '@cdktf/provider-aws/lib/cloudfront-distribution';
import { CloudfrontFunction } from '@cdktf/provider-aws/lib/cloudfront-function';
import { CloudfrontOriginAccessControl } from '@cdktf/provider-aws/lib/cloudfront-origin-access-control';
import { CloudfrontResponseHeadersPolicy } from '@cdktf/provider-aws/lib/cloudfront-response-headers-policy';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { apiViewerRequestFunctionCode } from './api-function';
import { uploadsViewerRequestFunctionCode } from './uploads-function';
import { MANAGED_CACHE_POLICY, MANAGED_ORIGIN_REQUEST_POLICY } from './managed-policies';
import type { BucketRef } from './types';

export interface EdgeCdnProps {
  readonly namePrefix: string;
  readonly domainName: string;
  /** Validated certificate in us-east-1. */
  readonly certificateArn: string;
  readonly webAclArn: string;
  readonly assetsBucket: BucketRef;
  /** Extra statements for the assets bucket policy (e.g. the data layer's); must not reuse this policy's sids. */
  readonly assetsBucketPolicyStatements: DataAwsIamPolicyDocumentStatement[];
  /** The service's uploads bucket, served under `uploadsPathPrefix` (no uploads origin without it). */
  readonly uploads?: {
    readonly bucket: BucketRef;
    /** Extra statements for the uploads bucket policy (e.g. the data layer's); must not reuse this policy's sids. */
    readonly policyStatements: DataAwsIamPolicyDocumentStatement[];
    /** One path segment, e.g. `/uploads`. */
    readonly pathPrefix: string;
  };
  /** Bucket name for standard (legacy) logs; the bucket must have ACLs enabled for the log delivery account. */
  readonly logsBucketName: string;
  /** The origin domain name of the API (the name on the ALB's certificate, which CloudFront validates over TLS). */
  readonly albOriginDomainName: string;
  /** The ALB's CloudFront VPC origin (`aws_cloudfront_vpc_origin` id). */
  readonly albVpcOriginId: string;
  readonly priceClass: string;
  readonly apiPathPrefix: string;
  readonly blockedApiPaths: readonly string[];
  /** Paths the service answers directly through CloudFront (the public health check). */
  readonly servicePassThroughPaths: readonly string[];
  readonly hashedAssetPathPatterns: readonly string[];
}

const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
const READ_METHODS = ['GET', 'HEAD'];

/** One year: the longest TTL CloudFront takes, for objects that never change under their name. */
const ONE_YEAR = 31536000;

/** The longest the API's own `Cache-Control` may keep a response at the edge. */
const API_MAX_TTL = 3600;

/**
 * Status codes CloudFront can cache as errors (custom error responses); every one is cached for 0 s. The API's 4xx
 * depend on the request (a 404 before a create, a 401 for one caller): cached for everyone they would be wrong.
 * Custom error responses apply to the whole distribution; assets' 403/404 are uncached too, a small cost.
 */
export const CLOUDFRONT_ERROR_CODES = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504] as const;

/**
 * The CloudFront distribution: the assets bucket (through origin access control) as the default origin, the
 * uploads bucket (OAC as well) under `/uploads/*`, the internal ALB (a VPC origin, HTTPS) for the API. Owns both buckets' policies,
 * since only this layer knows the distribution's ARN.
 */
export class EdgeCdn extends Construct {
  readonly distribution: CloudfrontDistribution;
  /** `<prefix>/*` when an uploads bucket is served. */
  readonly uploadsPathPattern?: string;

  constructor(scope: Construct, id: string, props: EdgeCdnProps) {
    super(scope, id);
    const name = (s: string) => `${props.namePrefix}-${s}`;

    const oac = new CloudfrontOriginAccessControl(this, 'assets-oac', {
      name: name('assets'),
      description: `${props.namePrefix}: CloudFront reads the assets and uploads buckets`,
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });

    // Content-hashed files never change under the same name: cache for a year, at the edge and in browsers.
    const hashedAssets = new CloudfrontCachePolicy(this, 'hashed-assets', {
      name: name('hashed-assets'),
      comment: 'Content-hashed static assets: one year, no cookies, headers or query strings in the key',
      minTtl: 86400,
      defaultTtl: ONE_YEAR,
      maxTtl: ONE_YEAR,
      parametersInCacheKeyAndForwardedToOrigin: {
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'none' },
      },
    });

    const securityHeadersConfig = {
      strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: 'DENY', override: true },
      referrerPolicy: { referrerPolicy: 'strict-origin-when-cross-origin', override: true },
    };
    const securityHeaders = new CloudfrontResponseHeadersPolicy(this, 'security-headers', {
      name: name('security-headers'),
      comment: 'HSTS, nosniff, frame denial, referrer policy on every response',
      securityHeadersConfig,
      // Framework banners tell attackers which exploits to try.
      removeHeadersConfig: { items: [{ header: 'X-Powered-By' }] },
    });

    // The API: the service decides with Cache-Control (default TTL 0: nothing it does not mark is cached), keyed on
    // the full query string (list pages differ by ?limit, ?cursor, ?category) and on Authorization. CloudFront only
    // forwards Authorization to an origin when it is in the cache policy's key (an origin request policy cannot carry
    // it: https://repost.aws/knowledge-center/cloudfront-authorization-header), and a policy with all TTLs 0 cannot
    // have a key, hence max TTL > 0. Keyed on the header, one caller's response never answers another; the service
    // also sends `private, no-store` on every response to an authorized request and `no-store` on every error.
    const apiCache = new CloudfrontCachePolicy(this, 'api-cache', {
      name: name('api'),
      comment: 'API: origin Cache-Control decides (default 0 s, max 1 h); key = path, query string, Authorization',
      minTtl: 0,
      defaultTtl: 0,
      maxTtl: API_MAX_TTL,
      parametersInCacheKeyAndForwardedToOrigin: {
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'whitelist', headers: { items: ['Authorization'] } },
        queryStringsConfig: { queryStringBehavior: 'all' },
      },
    });

    const apiFunction = new CloudfrontFunction(this, 'api-path', {
      name: name('api-path'),
      runtime: 'cloudfront-js-2.0',
      comment: `Strips ${props.apiPathPrefix} and hides the service's internal endpoints`,
      publish: true,
      code: apiViewerRequestFunctionCode(props.apiPathPrefix, props.blockedApiPaths),
    });

    const assetsOriginId = 'assets';
    const apiOriginId = 'api';
    const uploadsOriginId = 'uploads';

    // Uploaded images: a new random key per upload (never overwritten), so a year at the edge and in browsers.
    const uploads = props.uploads;
    let uploadsBehaviour: CloudfrontDistributionOrderedCacheBehavior | undefined;
    if (uploads) {
      const immutable = new CloudfrontCachePolicy(this, 'immutable-uploads', {
        name: name('immutable-uploads'),
        comment: 'Uploaded images (immutable keys): one year, path only in the key',
        minTtl: 86400,
        defaultTtl: ONE_YEAR,
        maxTtl: ONE_YEAR,
        parametersInCacheKeyAndForwardedToOrigin: {
          // JPEG, PNG and WebP are compressed already: Accept-Encoding in the key would only store copies.
          enableAcceptEncodingGzip: false,
          enableAcceptEncodingBrotli: false,
          cookiesConfig: { cookieBehavior: 'none' },
          headersConfig: { headerBehavior: 'none' },
          queryStringsConfig: { queryStringBehavior: 'none' },
        },
      });
      // S3 objects from presigned PUTs carry no Cache-Control: browsers get the same year unless an object sets its own.
      const uploadsHeaders = new CloudfrontResponseHeadersPolicy(this, 'uploads-headers', {
        name: name('uploads-headers'),
        comment: 'Security headers, and a year of browser caching for immutable uploads',
        securityHeadersConfig,
        customHeadersConfig: { items: [{ header: 'Cache-Control', value: `public, max-age=${ONE_YEAR}, immutable`, override: false }] },
        removeHeadersConfig: { items: [{ header: 'X-Powered-By' }] },
      });
      const uploadsFunction = new CloudfrontFunction(this, 'uploads-path', {
        name: name('uploads-path'),
        runtime: 'cloudfront-js-2.0',
        comment: `Strips ${uploads.pathPrefix}: image URLs are <CDN_BASE_URL>/<key> with CDN_BASE_URL ending in ${uploads.pathPrefix}`,
        publish: true,
        code: uploadsViewerRequestFunctionCode(uploads.pathPrefix),
      });
      this.uploadsPathPattern = `${uploads.pathPrefix}/*`;
      uploadsBehaviour = {
        pathPattern: this.uploadsPathPattern,
        targetOriginId: uploadsOriginId,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: READ_METHODS,
        cachedMethods: READ_METHODS,
        compress: false,
        cachePolicyId: immutable.id,
        responseHeadersPolicyId: uploadsHeaders.id,
        functionAssociation: [{ eventType: 'viewer-request', functionArn: uploadsFunction.arn }],
      };
    }
    const toApi = (pathPattern: string, methods: string[], withFunction: boolean): CloudfrontDistributionOrderedCacheBehavior => ({
      pathPattern,
      targetOriginId: apiOriginId,
      viewerProtocolPolicy: 'redirect-to-https',
      allowedMethods: methods,
      cachedMethods: READ_METHODS,
      compress: true,
      // The health check is never cached; the API is cached only as the service says (see apiCache). Every viewer
      // header but Host (and Authorization, which only the cache policy can forward), cookie and query string reach
      // the service.
      cachePolicyId: withFunction ? apiCache.id : MANAGED_CACHE_POLICY.CachingDisabled,
      originRequestPolicyId: MANAGED_ORIGIN_REQUEST_POLICY.AllViewerExceptHostHeader,
      responseHeadersPolicyId: securityHeaders.id,
      functionAssociation: withFunction ? [{ eventType: 'viewer-request', functionArn: apiFunction.arn }] : undefined,
    });

    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `${props.namePrefix}: ${props.domainName}`,
      aliases: [props.domainName],
      isIpv6Enabled: true,
      httpVersion: 'http2and3',
      priceClass: props.priceClass,
      defaultRootObject: 'index.html',
      webAclId: props.webAclArn,
      viewerCertificate: { acmCertificateArn: props.certificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' },
      origin: [
        {
          originId: assetsOriginId,
          domainName: props.assetsBucket.regionalDomainName,
          originAccessControlId: oac.id,
        },
        // The same OAC: it only says "sign with SigV4"; each bucket's policy names this distribution.
        ...(uploads ? [{ originId: uploadsOriginId, domainName: uploads.bucket.regionalDomainName, originAccessControlId: oac.id }] : []),
        {
          // The internal ALB through its VPC origin (https-only, TLS 1.2, set on the VPC origin): no public path to
          // it, no shared secret header. The domain name is what CloudFront sends as SNI and Host and validates the
          // ALB's certificate against.
          originId: apiOriginId,
          domainName: props.albOriginDomainName,
          vpcOriginConfig: { vpcOriginId: props.albVpcOriginId, originReadTimeout: 30, originKeepaliveTimeout: 5 },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: assetsOriginId,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
        cachedMethods: READ_METHODS,
        compress: true,
        cachePolicyId: MANAGED_CACHE_POLICY.CachingOptimized,
        responseHeadersPolicyId: securityHeaders.id,
      },
      orderedCacheBehavior: [
        ...props.servicePassThroughPaths.map((p) => toApi(p, READ_METHODS, false)),
        toApi(`${props.apiPathPrefix}/*`, ALL_METHODS, true),
        ...(uploadsBehaviour ? [uploadsBehaviour] : []),
        ...props.hashedAssetPathPatterns.map((pathPattern) => ({
          pathPattern,
          targetOriginId: assetsOriginId,
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: READ_METHODS,
          cachedMethods: READ_METHODS,
          compress: true,
          cachePolicyId: hashedAssets.id,
          responseHeadersPolicyId: securityHeaders.id,
        })),
      ],
      // Errors are passed through untouched (the API's 404s are answers, not pages to replace) and never cached
      // (CloudFront's default would keep them 10 s for everyone): see CLOUDFRONT_ERROR_CODES.
      customErrorResponse: CLOUDFRONT_ERROR_CODES.map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
      loggingConfig: { bucket: `${props.logsBucketName}.s3.amazonaws.com`, prefix: `cloudfront/${props.namePrefix}/`, includeCookies: false },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      tags: { Name: name('cdn') },
    });

    // Each bucket admits this distribution only (OAC signs with the distribution's ARN), plus the data layer's
    // statements (TLS only). The SSE-KMS objects need kms:Decrypt for CloudFront too: the data key's policy grants
    // it to this account's distributions (the data stack cannot name this one: it is built before the edge).
    const bucketPolicy = (key: string, bucket: BucketRef, statements: DataAwsIamPolicyDocumentStatement[]) => {
      const doc = new DataAwsIamPolicyDocument(this, `${key}-bucket-policy`, {
        statement: [
          {
            sid: 'AllowCloudFrontDistributionRead',
            principals: [{ type: 'Service', identifiers: ['cloudfront.amazonaws.com'] }],
            actions: ['s3:GetObject'],
            resources: [`${bucket.arn}/*`],
            condition: [{ test: 'StringEquals', variable: 'AWS:SourceArn', values: [this.distribution.arn] }],
          },
          ...statements,
        ],
      });
      new S3BucketPolicy(this, `${key}-bucket-policy-attachment`, { bucket: bucket.name, policy: doc.json });
    };
    bucketPolicy('assets', props.assetsBucket, props.assetsBucketPolicyStatements);
    if (uploads) bucketPolicy('uploads', uploads.bucket, uploads.policyStatements);
  }
}
