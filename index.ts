import { loadSettings } from "./settings/load";
import { clickvoteArgs } from "./settings/component-args";
import { Clickvote } from "./components/clickvote";

// Stack file → settings → component args → resources. Validation runs first and throws one
// error naming every bad setting, before any resource exists.
const settings = loadSettings();
const clickvote = new Clickvote("clickvote", clickvoteArgs(settings));

export const imageRef = clickvote.imageRef;
export const version = clickvote.version;
export const namespace = clickvote.namespace;
export const serviceName = clickvote.serviceName;
export const url = clickvote.url;
export const migrationJob = clickvote.migrationJobName;
export const dataVolumeClaims = [clickvote.postgresClaim, clickvote.redisClaim];
