import { loadSettings } from "./settings/load";
import { clickvoteArgs } from "./settings/component-args";
import { dataIdentityGate, dataIdentityOf } from "./settings/data-identity";
import { Clickvote } from "./components/clickvote";

// Stack file → settings → component args → resources. Validation runs first and throws one
// error naming every bad setting, before any resource exists; settings the stored data cannot
// follow (data identity) are refused before any cluster object changes.
const settings = loadSettings();
const identity = dataIdentityOf(settings.values);
const clickvote = new Clickvote("clickvote", { ...clickvoteArgs(settings), gate: dataIdentityGate(identity) });

export const imageRef = clickvote.imageRef;
export const version = clickvote.version;
export const namespace = clickvote.namespace;
export const serviceName = clickvote.serviceName;
export const url = clickvote.url;
export const migrationJob = clickvote.migrationJobName;
export const dataVolumeClaims = [clickvote.postgresClaim, clickvote.redisClaim];
/** What the data was created with; the next update reads it back (settings/data-identity.ts). */
export const dataIdentity = identity;
