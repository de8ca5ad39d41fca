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
import { MANAGED_CACHE_POLICY, MANAGED_ORIGIN_REQUEST_POLICY, ORIGIN_VERIFY_HEADER } from './managed-policies';
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
  /** DNS name of the ALB origin (matches the ALB's certificate). */
  readonly albOriginDomainName: string;
  readonly originSecretValue: string;
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

/**
 * The CloudFront distribution: the assets bucket (through origin access control) as the default origin, the
 * uploads bucket (OAC as well) under `/uploads/*`, the ALB over HTTPS for the API. Owns both buckets' policies,
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
      // Nothing cached; every viewer header but Host, every cookie and query string reach the service.
      cachePolicyId: MANAGED_CACHE_POLICY.CachingDisabled,
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
          originId: apiOriginId,
          domainName: props.albOriginDomainName,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: 'https-only',
            originSslProtocols: ['TLSv1.2'],
            originReadTimeout: 30,
            originKeepaliveTimeout: 5,
          },
          customHeader: [{ name: ORIGIN_VERIFY_HEADER, value: props.originSecretValue }],
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
      // Errors are passed through untouched (the API's 404s are answers, not pages to replace) but cached only
      // briefly, so an origin hiccup does not stick at the edge and a 404 does not hammer the origin.
      customErrorResponse: [
        { errorCode: 404, errorCachingMinTtl: 10 },
        { errorCode: 500, errorCachingMinTtl: 0 },
        { errorCode: 502, errorCachingMinTtl: 0 },
        { errorCode: 503, errorCachingMinTtl: 0 },
        { errorCode: 504, errorCachingMinTtl: 0 },
      ],
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
