// OCI image references: the repository grammar, the registry host of a repository, and GHCR's
// special handling. Source of the grammar: the reference package of the CNCF distribution project
// (distribution/reference, "Grammar"), which Docker, containerd and BuildKit share.

/** GitHub Container Registry: the default registry and the one that gets GITHUB_TOKEN credentials. */
export const GHCR_HOST = "ghcr.io";

// domain-component ('.' domain-component)* [':' port], or a bracketed IPv6 address with a port.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
// path-component: lower-case alphanumerics joined by '.', '_', '__' or one or more '-'.
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^(${HOST})/(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)$`);
/** distribution/reference: a name (host and path) is at most 255 characters. */
const NAME_MAX = 255;

/**
 * Why `text` is not an OCI repository with an explicit registry host, or undefined when it is.
 * The first component counts as a host, as in Docker's rule, only when it has a '.' or a ':'
 * or is `localhost`; a tag (`:1.0`) or digest (`@sha256:…`) is refused, because the program
 * adds those itself.
 */
export function repositoryProblem(text: string): string | undefined {
  if (text.includes("@")) return "must not carry a digest (imageDigest holds it)";
  const match = REPOSITORY.exec(text);
  if (!match) {
    if (/^[^/]+\/.*:[^/]*$/.test(text)) return "must not carry a tag (version or imageTag holds it)";
    if (/[A-Z]/.test(text.slice(text.indexOf("/") + 1))) return "must have a lower-case path (OCI names allow no upper case after the host)";
    return "must be an OCI repository <registry host>[:port]/<path>, e.g. ghcr.io/<owner>/<name> or localhost:5001/clickvote";
  }
  const host = match[1];
  if (!host.includes(".") && !host.includes(":") && host !== "localhost" && !host.startsWith("[")) {
    return `must start with a registry host (${JSON.stringify(host)} has no '.' or ':' and is not localhost), e.g. ghcr.io/${text}`;
  }
  if (text.length > NAME_MAX) return `must be at most ${NAME_MAX} characters`;
  // GHCR namespaces every image under its owner (docs.github.com, "Working with the Container registry").
  if (host === GHCR_HOST && match[2].split("/").length < 2) return `must be ${GHCR_HOST}/<owner>/<name> on GHCR`;
  return undefined;
}

/** Registry host (with port) of a validated repository: "localhost:5001/app" → "localhost:5001". */
export function registryHost(repository: string): string {
  return repository.slice(0, repository.indexOf("/"));
}

/** True for registries only the deploying machine can reach: localhost, 127.0.0.0/8 and [::1]. */
export function isLoopbackRegistry(repository: string): boolean {
  const host = registryHost(repository).replace(/:[0-9]+$/, "");
  return host === "localhost" || /^127(?:\.[0-9]{1,3}){3}$/.test(host) || host === "[::1]";
}

/** https://github.com/<owner>/<name> for ghcr.io/<owner>/<name>; undefined for other registries. */
export function githubSourceUrl(repository: string): string | undefined {
  const [host, owner, name] = repository.split("/");
  return host === GHCR_HOST && owner && name ? `https://github.com/${owner}/${name}` : undefined;
}
