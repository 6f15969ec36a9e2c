// ListGroups (key 16), versions 0-5. v1 throttle time; v3 flexible; v4 states_filter
// and group_state in the response (KIP-518); v5 types_filter and group_type
// (KIP-848: every group here is "classic"). Filters are case-insensitive, as in
// Kafka's group coordinator; an empty filter matches everything. While
// __consumer_offsets is still loading the error is COORDINATOR_LOAD_IN_PROGRESS and
// only loaded groups are listed.
import { ListGroupsApi } from '../../protocol/generated/apis/list-groups.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export const listGroupsHandler = defineHandler({
  api: ListGroupsApi,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const r = groupCoordinatorOf(ctx.broker).listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
  },
});
