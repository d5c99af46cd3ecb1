import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import * as dockerBuild from "@pulumi/docker-build";

export type ImageMode = "build" | "tag" | "digest";

export interface ClickvoteImageArgs {
  mode: ImageMode;
  /** ghcr.io/<owner>/<name>, already validated. */
  repository: string;
  version: string;
  /** tag mode: the tag to resolve (defaults to version). */
  tag?: string;
  /** digest mode: sha256:<hex>. */
  digest?: string;
  /** build mode: context and Dockerfile, relative to projectRoot. */
  buildContext: string;
  dockerfile: string;
  platforms: string[];
  buildOnPreview: boolean;
  sourceUrl: string;
  revision: string;
  projectRoot: string;
  registryUsername?: string;
  registryToken?: pulumi.Input<string>;
}

const REGISTRY_HOST = "ghcr.io";

/** OCI labels (https://github.com/opencontainers/image-spec/blob/main/annotations.md). */
export function ociLabels(args: Pick<ClickvoteImageArgs, "sourceUrl" | "version" | "revision">): Record<string, string> {
  return {
    "org.opencontainers.image.source": args.sourceUrl,
    "org.opencontainers.image.version": args.version,
    "org.opencontainers.image.revision": args.revision,
    "org.opencontainers.image.title": "clickvote",
    "org.opencontainers.image.licenses": "Apache-2.0",
  };
}

/** https://github.com/<owner>/<name> for ghcr.io/<owner>/<name>. */
export function defaultSourceUrl(repository: string): string {
  const [, owner, name] = repository.split("/");
  return `https://github.com/${owner}/${name}`;
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
    const registryAuth =
      args.registryToken !== undefined
        ? [{ address: REGISTRY_HOST, username: args.registryUsername ?? "github-actions", password: args.registryToken }]
        : undefined;

    switch (args.mode) {
      case "build": {
        this.tag = args.version;
        const cacheRef = `${args.repository}:buildcache`;
        const image = new dockerBuild.Image(
          `${name}-build`,
          {
            context: { location: path.resolve(args.projectRoot, args.buildContext) },
            dockerfile: { location: path.resolve(args.projectRoot, args.dockerfile) },
            platforms: args.platforms as dockerBuild.Platform[],
            push: true,
            buildOnPreview: args.buildOnPreview,
            tags: [`${args.repository}:${args.version}`],
            labels: ociLabels(args),
            buildArgs: { VERSION: args.version, REVISION: args.revision, SOURCE: args.sourceUrl },
            cacheFrom: [{ registry: { ref: cacheRef } }],
            // mode=max also caches the dependency and build stages; image-manifest keeps GHCR happy.
            cacheTo: [{ registry: { ref: cacheRef, mode: dockerBuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
            registries: registryAuth,
          },
          { parent: this },
        );
        this.digest = image.digest;
        this.ref = pulumi.interpolate`${args.repository}@${image.digest}`;
        break;
      }
      case "tag": {
        this.tag = args.tag || args.version;
        // Verify before update: the invoke runs during preview too, so a missing tag fails
        // the preview before anything in the cluster changes.
        const provider = new docker.Provider(`${name}-registry`, { registryAuth }, { parent: this });
        const resolved = docker.getRegistryImageOutput(
          { name: `${args.repository}:${this.tag}` },
          { parent: this, provider },
        );
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
