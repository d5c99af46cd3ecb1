import { loadStackSettings } from "./components/stack-config";
import { Clickvote } from "./components/clickvote";

// Validation runs first and throws one error naming every bad setting, before any resource exists.
const settings = loadStackSettings();

const clickvote = new Clickvote("clickvote", settings);

export const imageRef = clickvote.imageRef;
export const version = clickvote.version;
export const namespace = clickvote.namespace;
export const serviceName = clickvote.serviceName;
export const url = clickvote.url;
export const migrationJob = clickvote.migrationJobName;
export const dataVolumeClaims = [clickvote.postgresClaim, clickvote.redisClaim];
