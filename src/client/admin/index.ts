export { Admin, ConfigResourceType, ConfigSource } from './admin.ts';
export type { AdminOptions, ConfigEntry, ConfigResourceResult, CreateTopicResult, DeleteTopicResult, NewTopic, TopicDescription, TopicListing } from './admin.ts';
