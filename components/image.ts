import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as dockerBuild from "@pulumi/docker-build";
import { GHCR_HOST, isLoopbackRegistry, registryHost } from "./oci";

/** How the program gets the app image: build and push it, resolve an existing tag, or take a digest. */
export type ImageMode = "build" | "tag" | "digest";

/** build mode: what to build and how. */
export interface ImageBuildSettings {
  /**
   * Build context and Dockerfile, relative to the project directory (the program's working
   * directory). Relative on purpose: state recorded on one machine then diffs clean on another.
   */
  context: string;
  dockerfile: string;
  /** Target platforms of the image index, e.g. ["linux/amd64", "linux/arm64"]. */
  platforms: string[];
  /** Also build (without pushing) during preview. */
  onPreview: boolean;
  /** OCI source label (org.opencontainers.image.source). Defaults to none. */
  sourceUrl?: string;
  /** OCI revision label: the commit the image is built from. */
  revision: string;
}

/** Credentials for one registry. */
export interface RegistryCredentials {
  username?: string;
  token?: pulumi.Input<string>;
}

export interface ClickvoteImageArgs {
  mode: ImageMode;
  /** OCI repository <host>[:port]/<path>, validated by settings (components/oci.ts). */
  repository: string;
  /** Release version: the tag build mode pushes, and the tag mode default. */
  version: string;
  /** tag mode: the tag to resolve. Defaults to version. */
  tag?: string;
  /** digest mode: sha256:<hex>. */
  digest?: string;
  /** build mode only. */
  build?: ImageBuildSettings;
  /** Push and tag-resolution credentials for the repository's registry. */
  registry: RegistryCredentials;
}

/** OCI labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md). */
export function ociLabels(args: { sourceUrl?: string; version: string; revision: string }): Record<string, string> {
  return {
    ...(args.sourceUrl ? { "org.opencontainers.image.source": args.sourceUrl } : {}),
    "org.opencontainers.image.version": args.version,
    "org.opencontainers.image.revision": args.revision,
    "org.opencontainers.image.title": "clickvote",
    "org.opencontainers.image.licenses": "Apache-2.0",
  };
}

/** One registryAuth entry of the docker provider (its `ProviderRegistryAuth` input). */
export interface DockerRegistryAuth {
  address: string;
  username?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
  authDisabled?: boolean;
}

/**
 * The docker provider's registryAuth for resolving a tag of `repository`, given the push
 * credentials (or none). The provider asks `https://<host>` unless an entry's address starts with
 * `http://` (terraform-provider-docker's `normalizeRegistryAddress`, which @pulumi/docker
 * bridges), and loopback registries serve plain HTTP (kind's local registry, `npm run
 * dev:cluster`), so a loopback host gets an `http://` entry: with the credentials when there are
 * any, else with `authDisabled` (the provider then needs no Docker config file). Other registries
 * get the credentials as given, or no entry (anonymous HTTPS).
 */
export function tagResolutionAuth(repository: string, credentials?: DockerRegistryAuth): DockerRegistryAuth[] | undefined {
  if (!isLoopbackRegistry(repository)) return credentials ? [credentials] : undefined;
  const address = `http://${registryHost(repository)}`;
  return [credentials ? { ...credentials, address } : { address, authDisabled: true }];
}

/**
 * The app image. Whatever the mode, its one output is a digest-pinned reference
 * (repository@sha256:…), the only form workloads use, so a moved tag never changes
 * what runs and every new build rolls out through the dependency graph.
 */
export class ClickvoteImage extends pulumi.ComponentResource {
  /** repository@sha256:… */
  public readonly ref: pulumi.Output<string>;
  /** sha256:… */
  public readonly digest: pulumi.Output<string>;
  /** The tag this release is known by (version in build mode). */
  public readonly tag: string;

  constructor(name: string, args: ClickvoteImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("clickvote:index:Image", name, {}, opts);
    const host = registryHost(args.repository);
    // GitHub Actions' GITHUB_TOKEN works with any user name; other registries need theirs. The
    // user may come from the environment (GITHUB_ACTOR): secret, like the token, so neither
    // lands in state in plain text nor makes state differ between machines.
    const registryAuth =
      args.registry.token !== undefined
        ? [{ address: host, username: pulumi.secret(args.registry.username ?? (host === GHCR_HOST ? "github-actions" : "")), password: args.registry.token }]
        : undefined;

    switch (args.mode) {
      case "build": {
        const build = args.build;
        if (!build) throw new Error("build mode needs build settings");
        this.tag = args.version;
        const cacheRef = `${args.repository}:buildcache`;
        const image = new dockerBuild.Image(
          `${name}-build`,
          {
            context: { location: build.context },
            dockerfile: { location: build.dockerfile },
            platforms: build.platforms as dockerBuild.Platform[],
            push: true,
            buildOnPreview: build.onPreview,
            tags: [`${args.repository}:${args.version}`],
            labels: ociLabels({ sourceUrl: build.sourceUrl, version: args.version, revision: build.revision }),
            buildArgs: { VERSION: args.version, REVISION: build.revision, SOURCE: build.sourceUrl ?? "" },
            cacheFrom: [{ registry: { ref: cacheRef } }],
            // mode=max also caches the dependency and build stages; an image manifest (not an index) is what GHCR accepts.
            cacheTo: [{ registry: { ref: cacheRef, mode: dockerBuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
            registries: registryAuth,
          },
          // Deleting this resource (destroy, a switch to tag or digest mode) would make the provider
          // delete the pushed manifest from the registry: a release image that rollbacks and other
          // stacks may still pin by digest. Registries own image retention, so the image stays.
          { parent: this, retainOnDelete: true },
        );
        this.digest = image.digest;
        this.ref = pulumi.interpolate`${args.repository}@${image.digest}`;
        break;
      }
      case "tag": {
        this.tag = args.tag || args.version;
        // Verify before update: the invoke runs during preview too, so a missing tag fails
        // the preview before anything in the cluster changes.
        const provider = new docker.Provider(`${name}-registry`, { registryAuth: tagResolutionAuth(args.repository, registryAuth?.[0]) }, { parent: this });
        const resolved = docker.getRegistryImageOutput({ name: `${args.repository}:${this.tag}` }, { parent: this, provider });
        this.digest = resolved.sha256Digest.apply((d) => {
          if (!/^sha256:[a-f0-9]{64}$/.test(d)) {
            throw new Error(`image ${args.repository}:${this.tag} did not resolve to a sha256 digest (got "${d}")`);
          }
          return d;
        });
        this.ref = pulumi.interpolate`${args.repository}@${this.digest}`;
        break;
      }
      case "digest": {
        this.tag = args.version;
        if (!args.digest) throw new Error("digest mode needs a digest");
        this.digest = pulumi.output(args.digest);
        this.ref = pulumi.output(`${args.repository}@${args.digest}`);
        break;
      }
    }
    this.registerOutputs({ ref: this.ref, digest: this.digest });
  }
}
