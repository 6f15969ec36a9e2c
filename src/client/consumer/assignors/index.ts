export type { Assignment, ConsumerPartitionAssignor, RebalanceProtocol, Subscription } from './assignor.ts';
import type { ConsumerPartitionAssignor } from './assignor.ts';
import { RangeAssignor } from './range.ts';
import { RoundRobinAssignor } from './round-robin.ts';
import { CooperativeStickyAssignor, StickyAssignor } from './sticky.ts';
export { RangeAssignor, RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor };

/** An assignor by Kafka name (range, roundrobin, sticky, cooperative-sticky) or Java class name. */
export function assignorByName(name: string): ConsumerPartitionAssignor {
  const short = name.slice(name.lastIndexOf('.') + 1);
  switch (short) {
    case 'range':
    case 'RangeAssignor':
      return new RangeAssignor();
    case 'roundrobin':
    case 'RoundRobinAssignor':
      return new RoundRobinAssignor();
    case 'sticky':
    case 'StickyAssignor':
      return new StickyAssignor();
    case 'cooperative-sticky':
    case 'CooperativeStickyAssignor':
      return new CooperativeStickyAssignor();
    default:
      throw new TypeError(`Invalid value ${name} for configuration partition.assignment.strategy: unknown assignor (range, roundrobin, sticky, cooperative-sticky)`);
  }
}
