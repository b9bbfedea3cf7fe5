// Leader election on a coordination.k8s.io Lease, with client-go's semantics: acquire an expired lease,
// renew every retry period, step down when renewal fails past the renew deadline, release on shutdown.
import type { KubeConfig } from "./client.ts";
import { Conflict, NotFound } from "./errors.ts";
import { request, resourcePath } from "./rest.ts";

export interface LeaderOptions {
  kc: KubeConfig;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class LeaderElector {
  private observedRecord = "";
  private observedAt = 0;
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  private readonly o: LeaderOptions;

  constructor(options: LeaderOptions) {
    this.o = options;
  }

  /**
   * True while this replica holds the lease and renewed it within the renew deadline, judged by the
   * clock: a process that was frozen (SIGSTOP, a long GC pause, a suspended VM) is no longer leader the
   * moment it resumes, before its next renewal attempt says so, and so never writes on a stale lease.
   */
  isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew <= this.o.renewDeadlineSeconds * 1000;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodSeconds * 1000);
  }

  private async tick(): Promise<void> {
    // As client-go's renew loop: a leader that could not renew within the deadline (it failed, or the
    // process was frozen past it) steps down rather than renew a lease another replica may hold by now.
    if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineSeconds * 1000) {
      this.stepDown("the renew deadline passed");
      this.schedule();
      return;
    }
    const attempt = Date.now();
    try {
      const ok = await this.tryAcquireOrRenew();
      // Renewed as of when the attempt began, as the lease's renewTime says: an answer read late (the
      // process froze with the request in flight, and resumed long after) must not extend the leadership
      // from the moment it is read, or a replica whose lease was taken over would write for a while.
      if (ok) {
        this.lastRenew = attempt;
        const late = Date.now() - attempt > this.o.renewDeadlineSeconds * 1000;
        if (late && this.leading) this.stepDown("the renewal was answered past the renew deadline");
        else if (!late && !this.leading) {
          this.leading = true;
          this.o.log?.info({ identity: this.o.identity, lease: this.o.name }, "became leader");
          this.o.onStartedLeading();
        }
      } else if (this.leading) {
        this.stepDown("another replica holds the lease");
      }
    } catch (err) {
      this.o.log?.warn({ err: String((err as Error).message) }, "lease update failed");
      if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineSeconds * 1000)
        this.stepDown("could not renew before the deadline");
    }
    this.schedule();
  }

  private stepDown(reason: string): void {
    this.leading = false;
    this.o.log?.warn({ identity: this.o.identity, reason }, "lost leadership");
    this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const { namespace, name, identity, leaseDurationSeconds } = this.o;
    let lease: Lease;
    try {
      lease = await request<Lease>(this.o.kc, "GET", this.path(name));
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      return request(this.o.kc, "POST", this.path(), {
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        },
      }).then(
        () => true,
        (e: unknown) => {
          if (e instanceof Conflict) return false; // created by another replica first
          throw e;
        },
      );
    }
    const spec = lease.spec ?? {};
    // Like client-go: expiry is judged by when *we* last saw the record change, not by the holder's
    // clock, so clock skew between replicas cannot hand the lease to two of them.
    const record = `${spec.holderIdentity}/${spec.renewTime}/${lease.metadata.resourceVersion}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now.getTime();
    }
    const expired =
      !spec.holderIdentity ||
      this.observedAt + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (spec.holderIdentity !== identity && !expired) return false;
    const mine = spec.holderIdentity === identity;
    const body: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        ...(mine ? {} : { acquireTime: microTime(now) }),
      },
    };
    try {
      await request(this.o.kc, "PUT", this.path(name), { body });
    } catch (err) {
      if (err instanceof Conflict) return false; // someone else updated it first
      throw err;
    }
    return true;
  }

  private path(name?: string): string {
    return resourcePath("coordination.k8s.io/v1", "Lease", this.o.namespace, name);
  }

  /** Gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await request<Lease>(this.o.kc, "GET", this.path(this.o.name));
      if (lease.spec?.holderIdentity === this.o.identity) {
        const { holderIdentity: _released, ...rest } = lease.spec;
        await request(this.o.kc, "PUT", this.path(this.o.name), {
          body: { ...lease, spec: { ...rest, leaseDurationSeconds: 1, renewTime: microTime(new Date(0)) } },
        });
      }
    } catch {
      // best effort: the lease expires by itself
    }
  }
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
