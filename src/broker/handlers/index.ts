import type { ApiHandler } from './api-handler.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { fetchHandler } from './fetch.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { describeProducersHandler } from './describe-producers.ts';
import { describeLogDirsHandler } from './describe-log-dirs.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { joinGroupHandler } from './join-group.ts';
import { syncGroupHandler } from './sync-group.ts';
import { heartbeatHandler } from './heartbeat.ts';
import { leaveGroupHandler } from './leave-group.ts';
import { offsetCommitHandler } from './offset-commit.ts';
import { offsetFetchHandler } from './offset-fetch.ts';
import { listGroupsHandler } from './list-groups.ts';
import { describeGroupsHandler } from './describe-groups.ts';
import { deleteGroupsHandler } from './delete-groups.ts';
import { offsetDeleteHandler } from './offset-delete.ts';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.ts';
import { consumerGroupDescribeHandler } from './consumer-group-describe.ts';

import { addPartitionsToTxnHandler } from './add-partitions-to-txn.ts';
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.ts';
import { endTxnHandler } from './end-txn.ts';
import { txnOffsetCommitHandler } from './txn-offset-commit.ts';
import { writeTxnMarkersHandler } from './write-txn-markers.ts';
import { listTransactionsHandler } from './list-transactions.ts';
import { describeTransactionsHandler } from './describe-transactions.ts';
/** Every API the broker serves. ApiVersions advertises exactly this list. */
export const HANDLERS: readonly ApiHandler[] = [
  apiVersionsHandler,
  metadataHandler,
  describeClusterHandler,
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  offsetForLeaderEpochHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeProducersHandler,
  describeLogDirsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
  writeTxnMarkersHandler,
  listTransactionsHandler,
  describeTransactionsHandler,
];
