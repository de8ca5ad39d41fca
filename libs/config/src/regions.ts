/**
 * Availability zones per region (public AWS partition, 2026). Used to reject an `azCount` the region cannot
 * honour at validation time instead of at `terraform apply`. Regions missing here are rejected with the list.
 */
export const REGION_AZ_COUNT: Readonly<Record<string, number>> = {
  'us-east-1': 6,
  'us-east-2': 3,
  'us-west-1': 2,
  'us-west-2': 4,
  'ca-central-1': 3,
  'eu-west-1': 3,
  'eu-west-2': 3,
  'eu-west-3': 3,
  'eu-central-1': 3,
  'eu-central-2': 3,
  'eu-north-1': 3,
  'eu-south-1': 3,
  'eu-south-2': 3,
  'ap-northeast-1': 3,
  'ap-northeast-2': 4,
  'ap-northeast-3': 3,
  'ap-southeast-1': 3,
  'ap-southeast-2': 3,
  'ap-south-1': 3,
  'sa-east-1': 3,
  'me-central-1': 3,
  'af-south-1': 3,
};

export const KNOWN_REGIONS = Object.keys(REGION_AZ_COUNT);
