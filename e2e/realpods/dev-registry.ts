// The dev registry of the real-node set-up (e2e/realpods/images.sh serves it on loopback): the
// images the dev stack pulls, and the variants the rollout tests and the bench deploy.

/** http://127.0.0.1:<port> of the dev registry; E2E_RP_DEV_REGISTRY_PORT, default 5001. */
export const DEV_REGISTRY = `http://127.0.0.1:${process.env.E2E_RP_DEV_REGISTRY_PORT ?? "5001"}`;

/**
 * The digest (sha256:…) the dev registry serves for `repository:tag`, from a HEAD request for
 * its manifest (an image or an index). Throws, naming the images.sh step, when it is missing.
 */
export async function digestOf(repository: string, tag: string): Promise<string> {
  const r = await fetch(`${DEV_REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: {
      Accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json",
    },
  });
  const digest = r.headers.get("docker-content-digest");
  if (!r.ok || !digest) throw new Error(`${repository}:${tag} is not in the dev registry (HTTP ${r.status}); run e2e/realpods/images.sh variants`);
  return digest;
}
