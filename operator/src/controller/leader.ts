// Leader election on a coordination.k8s.io Lease, with client-go's semantics: acquire an expired lease,
// renew every retry period, step down when renewal fails past the renew deadline, release on shutdown.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";

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

const code = (err: unknown) => (err as { code?: number }).code;

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  private readonly o: LeaderOptions;

  constructor(options: LeaderOptions) {
    this.o = options;
    this.api = options.kc.makeApiClient(CoordinationV1Api);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.o.retryPeriodSeconds * 1000);
  }

  private async tick(): Promise<void> {
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
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
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (code(err) !== 404) throw err;
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired =
      !spec.holderIdentity ||
      renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (spec.holderIdentity !== identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (spec.holderIdentity === identity ? 0 : 1);
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      leaseTransitions: transitions,
      ...(spec.holderIdentity === identity ? {} : { acquireTime: now }),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (err) {
      if (code(err) === 409) return false; // someone else updated it first
      throw err;
    }
    return true;
  }

  /** Gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.o.name, namespace: this.o.namespace });
      if (lease.spec?.holderIdentity === this.o.identity) {
        lease.spec = {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: new Date(0),
        };
        await this.api.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: lease,
        });
      }
    } catch {
      // best effort: the lease expires by itself
    }
  }
}
