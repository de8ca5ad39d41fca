/** A plan file that cannot be read as `terraform show -json` output. The message always starts with the file. */
export class PlanParseError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(file ? `${file}: ${detail}` : detail);
    this.name = 'PlanParseError';
  }
}

/**
 * A problem with the set of plan inputs rather than one file's content (no files, stack names that do not match
 * the files, two plans with one name). A PlanParseError subclass so callers catching that one see these too.
 */
export class PlanInputError extends PlanParseError {
  constructor(detail: string, file = '') {
    super(file, detail);
    this.name = 'PlanInputError';
  }
}
