// The dev registry of the real-node set-up (e2e/realpods/images.sh serves it on loopback): the
// images the dev stack pulls, and the variants the rollout tests and the bench deploy.

/** http://127.0.0.1:<port> of the dev registry; E2E_RP_DEV_REGISTRY_PORT, default 5001. */
export const DEV_REGISTRY = `http://127.0.0.1:${process.env.E2E_RP_DEV_REGISTRY_PORT ?? "5001"}`;

/** Every manifest media type the tests take: OCI and Docker, images and indexes (lists). */
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

/**
 * The digest (sha256:…) the dev registry serves for `repository:tag` (or `repository@digest`,
 * given the digest as `tag`), from a HEAD request for its manifest (an image or an index). Throws,
 * naming the images.sh step, when it is missing.
 */
export async function digestOf(repository: string, tag: string): Promise<string> {
  const r = await fetch(`${DEV_REGISTRY}/v2/${repository}/manifests/${tag}`, { method: "HEAD", headers: { Accept: MANIFEST_TYPES } });
  const digest = r.headers.get("docker-content-digest");
  if (!r.ok || !digest) throw new Error(`${repository}:${tag} is not in the dev registry (HTTP ${r.status}); run e2e/realpods/images.sh variants`);
  return digest;
}

/** A content descriptor of an OCI index or manifest (the fields the tests read). */
export interface Descriptor {
  digest: string;
  platform?: { os: string; architecture: string };
}

/** An OCI image config (the fields the tests read). */
export interface ImageConfig {
  os: string;
  architecture: string;
  config: { Labels?: Record<string, string> };
}

async function registryGet<T>(pathAndQuery: string): Promise<T> {
  const r = await fetch(`${DEV_REGISTRY}/v2/${pathAndQuery}`, { headers: { Accept: MANIFEST_TYPES } });
  if (!r.ok) throw new Error(`GET /v2/${pathAndQuery} from the dev registry: HTTP ${r.status}`);
  return (await r.json()) as T;
}

/**
 * The image config of `repository@digest` for one architecture: through the index when the digest
 * is one, else the manifest's own config (which must be that architecture's). Throws when the
 * index has no image of that architecture.
 */
export async function imageConfigOf(repository: string, digest: string, architecture: string): Promise<ImageConfig> {
  let manifest = await registryGet<{ manifests?: Descriptor[]; config?: Descriptor }>(`${repository}/manifests/${digest}`);
  if (manifest.manifests) {
    const image = manifest.manifests.find((m) => m.platform?.architecture === architecture);
    if (!image) throw new Error(`${repository}@${digest} has no ${architecture} image: ${JSON.stringify(manifest.manifests.map((m) => m.platform))}`);
    manifest = await registryGet(`${repository}/manifests/${image.digest}`);
  }
  if (!manifest.config) throw new Error(`${repository}@${digest}: a manifest without a config`);
  return registryGet<ImageConfig>(`${repository}/blobs/${manifest.config.digest}`);
}
