/**
 * Adoption of a running shop (docs/migrating.md): the pure planner behind `keywarden adopt`. Who owns
 * each client already on a panel, what access the old shop sold them, what applying would write, and
 * what the reconciler's first pass would then do. No I/O: the CLI reads the panels and the database,
 * and src/db writes the result.
 */
export {
  parseAdoptionCsv,
  parsePaidUntil,
  formatCsvProblems,
  MAX_CSV_PROBLEMS,
  type CsvClaim,
  type CsvProblem,
} from './csv.ts';
export {
  parseOwnerSource,
  defaultOwnerSources,
  describeOwnerSource,
  telegramIdByPattern,
  type OwnerSource,
  type OwnerSourceName,
} from './owner-sources.ts';
export {
  planAdoption,
  combineFingerprints,
  VERDICT_KINDS,
  type AdoptionInput,
  type AdoptionPanel,
  type AdoptionPlan,
  type AdoptionPeriod,
  type AdoptionTotals,
  type AdoptionVerdict,
  type AdoptedAccess,
  type AdoptedIdentity,
  type ClientFacts,
  type ManagedKey,
  type OwnerClaim,
  type VerdictKind,
} from './planner.ts';
export {
  predictFirstPass,
  describeFirstPass,
  firstPassKey,
  importSpan,
  type ExistingPeriod,
  type ExistingUser,
  type FirstPassInput,
  type FirstPassOutcome,
} from './first-pass.ts';
