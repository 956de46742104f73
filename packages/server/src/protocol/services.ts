import type { ServiceDef } from './registry.js';

/** The AWS services Capstan answers, as their wire models describe them. */
export const SSM: ServiceDef = { key: 'ssm', signingName: 'ssm', iamPrefix: 'ssm', protocol: 'json', targetPrefix: 'AmazonSSM', jsonVersion: '1.1', apiVersion: '2014-11-06', eventSource: 'ssm.amazonaws.com' };
export const KMS: ServiceDef = { key: 'kms', signingName: 'kms', iamPrefix: 'kms', protocol: 'json', targetPrefix: 'TrentService', jsonVersion: '1.1', apiVersion: '2014-11-01', eventSource: 'kms.amazonaws.com' };
export const SSM_CONTACTS: ServiceDef = { key: 'ssm-contacts', signingName: 'ssm-contacts', iamPrefix: 'ssm-contacts', protocol: 'json', targetPrefix: 'SSMContacts', jsonVersion: '1.1', apiVersion: '2021-05-03', eventSource: 'ssm-contacts.amazonaws.com' };
export const SSM_INCIDENTS: ServiceDef = { key: 'ssm-incidents', signingName: 'ssm-incidents', iamPrefix: 'ssm-incidents', protocol: 'rest-json', apiVersion: '2018-05-10', eventSource: 'ssm-incidents.amazonaws.com' };
export const RESOURCE_GROUPS: ServiceDef = { key: 'resource-groups', signingName: 'resource-groups', iamPrefix: 'resource-groups', protocol: 'rest-json', apiVersion: '2017-11-27', eventSource: 'resource-groups.amazonaws.com' };
export const TAGGING: ServiceDef = { key: 'tagging', signingName: 'tagging', iamPrefix: 'tag', protocol: 'json', targetPrefix: 'ResourceGroupsTaggingAPI_20170126', jsonVersion: '1.1', apiVersion: '2017-01-26', eventSource: 'tagging.amazonaws.com' };
export const CLOUDTRAIL: ServiceDef = {
  key: 'cloudtrail',
  signingName: 'cloudtrail',
  iamPrefix: 'cloudtrail',
  protocol: 'json',
  targetPrefix: 'CloudTrail_20131101',
  targetAliases: ['com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101'],
  jsonVersion: '1.1',
  apiVersion: '2013-11-01',
  eventSource: 'cloudtrail.amazonaws.com',
};
export const EVENTS: ServiceDef = { key: 'events', signingName: 'events', iamPrefix: 'events', protocol: 'json', targetPrefix: 'AWSEvents', jsonVersion: '1.1', apiVersion: '2015-10-07', eventSource: 'events.amazonaws.com' };
export const STS: ServiceDef = { key: 'sts', signingName: 'sts', iamPrefix: 'sts', protocol: 'query', xmlNamespace: 'https://sts.amazonaws.com/doc/2011-06-15/', apiVersion: '2011-06-15', eventSource: 'sts.amazonaws.com' };
export const IAM: ServiceDef = { key: 'iam', signingName: 'iam', iamPrefix: 'iam', protocol: 'query', xmlNamespace: 'https://iam.amazonaws.com/doc/2010-05-08/', apiVersion: '2010-05-08', eventSource: 'iam.amazonaws.com', global: true };
