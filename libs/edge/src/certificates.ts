import { Construct } from 'constructs';
import type { TerraformProvider } from 'cdktf';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';

export interface DnsValidatedCertificateProps {
  /** The one name on the certificate (no SANs: one validation record, no for_each over a set). */
  readonly domainName: string;
  /** The public zone the validation record is written to. */
  readonly hostedZoneId: string;
  /**
   * The provider (region) the certificate lives in; the validation record always uses the stack's default provider.
   * @default the stack's default provider
   */
  readonly provider?: TerraformProvider;
  /**
   * Longest wait for ACM to issue. ACM retries DNS validation for 72 hours and the provider waits 75 minutes by
   * default, longer than the apply role's one-hour session: a short, explicit limit turns a missing or broken
   * delegation into a clear failure instead of expired credentials mid-apply.
   * @default '30m'
   */
  readonly validationTimeout?: string;
  /** A condition checked before validation is attempted (the edge layer passes its delegation check, with its advice). */
  readonly precondition?: { condition: string; errorMessage: string };
}

/** An ACM certificate validated through a Route 53 record; `certificateArn` is only known once it is issued. */
export class DnsValidatedCertificate extends Construct {
  /** ARN of the validated certificate (from `aws_acm_certificate_validation`, so users wait for issuance). */
  readonly certificateArn: string;
  readonly certificate: AcmCertificate;
  readonly validation: AcmCertificateValidation;

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    this.certificate = new AcmCertificate(this, 'certificate', {
      provider: props.provider,
      domainName: props.domainName,
      validationMethod: 'DNS',
      keyAlgorithm: 'EC_prime256v1', // ECDSA P-256: faster handshakes; CloudFront and ALB both accept it
      options: { certificateTransparencyLoggingPreference: 'ENABLED' },
      // A replacement must be issued before the old one is detached from CloudFront or the listener.
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: props.domainName },
    });
    const option = this.certificate.domainValidationOptions.get(0);
    const record = new Route53Record(this, 'validation-record', {
      zoneId: props.hostedZoneId,
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      // Re-issuing (a replaced certificate) gets the same CNAME name for the same domain: take it over.
      allowOverwrite: true,
    });
    this.validation = new AcmCertificateValidation(this, 'validation', {
      provider: props.provider,
      certificateArn: this.certificate.arn,
      validationRecordFqdns: [record.fqdn],
      // If this times out: check the zone's delegation (`dig NS <domain>` shows the dns stack's name_servers output)
      // and, with DNSSEC, the DS record in the parent; then apply again (the certificate request is kept).
      timeouts: { create: props.validationTimeout ?? '30m' },
      lifecycle: props.precondition ? { precondition: [props.precondition] } : undefined,
    });
    this.certificateArn = this.validation.certificateArn;
  }
}
