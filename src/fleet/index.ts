/** The fleet of Jump Clients as the appliance sees it: presence now, enrolment beside it. */
export { createPresence, fromStatistics, markOverdue, orphanCopies, putWithCopies, type AuthOutcome, type FleetPort, type PresenceOptions, type Welcome } from './presence.ts';
export { checkDeployCaps, enroll, installerByKey, resolveJumpGroup } from './enroll.ts';
