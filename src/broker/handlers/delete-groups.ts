// DeleteGroups (key 42), versions 0-2. v1 same; v2 flexible.
//
// Only an Empty group can be deleted (NON_EMPTY_GROUP otherwise); its offsets and
// metadata get tombstones in __consumer_offsets. Unknown (or already deleted) groups
// answer GROUP_ID_NOT_FOUND.
import { DeleteGroupsApi } from '../../protocol/generated/apis/delete-groups.ts';
import { groupCoordinatorOf } from '../group/index.ts';
import { defineHandler } from './api-handler.ts';

export const deleteGroupsHandler = defineHandler({
  api: DeleteGroupsApi,
  handle(ctx, req) {
    const unique = [...new Set(req.groupsNames)];
    return { throttleTimeMs: 0, results: groupCoordinatorOf(ctx.broker).deleteGroups(unique) };
  },
});
