import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../../protocol/registry.js';
import { EVENTS } from '../../protocol/services.js';
import type { AuthParameters } from '../connections.js';
import { apiDestinationResource, connectionResource } from '../names.js';
import { connectionService } from '../slot.js';
import type { ApiDestinationRow, ConnectionRow } from '../tables.js';
import { limit, name, nextToken } from './shapes.js';

const secretText = z.string().min(1).max(512);
const httpKey = z.string().max(512).regex(/^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/);
const keyValues = (key: z.ZodString) => z.array(z.object({ Key: key, Value: z.string().max(512).optional(), IsValueSecret: z.boolean().optional() })).max(100).optional();
const authParameters = z.object({
  BasicAuthParameters: z.object({ Username: secretText.optional(), Password: secretText.optional() }).optional(),
  ApiKeyAuthParameters: z.object({ ApiKeyName: secretText.optional(), ApiKeyValue: secretText.optional() }).optional(),
  OAuthParameters: z.unknown().optional(),
  InvocationHttpParameters: z.object({ HeaderParameters: keyValues(httpKey), QueryStringParameters: keyValues(z.string().max(512)), BodyParameters: keyValues(z.string().max(512)) }).optional(),
});
const authorizationType = z.enum(['BASIC', 'OAUTH_CLIENT_CREDENTIALS', 'API_KEY']);
const httpMethod = z.enum(['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);
const endpoint = z.string().min(1).max(2048);
const connectionArnShape = z.string().min(1).max(1600);
/** Every member that holds a secret (and the HTTP parameters, which may): kept out of the audit trail and error messages. */
const SECRET_MEMBERS = ['Password', 'ApiKeyValue', 'ClientSecret', 'InvocationHttpParameters', 'OAuthParameters'];

const times = (r: { created_at: number; updated_at: number }) => ({ CreationTime: new Date(r.created_at), LastModifiedTime: new Date(r.updated_at) });
const connectionSummary = (r: ConnectionRow) => ({ ConnectionArn: r.arn, Name: r.name, ConnectionState: r.state, AuthorizationType: r.authorization_type, ...times(r), LastAuthorizedTime: new Date(r.authorized_at) });
const destinationView = (r: ApiDestinationRow) => ({
  ApiDestinationArn: r.arn,
  Name: r.name,
  ApiDestinationState: r.state,
  ConnectionArn: r.connection_arn,
  InvocationEndpoint: r.endpoint,
  HttpMethod: r.http_method,
  ...(r.rate_limit !== null ? { InvocationRateLimitPerSecond: r.rate_limit } : {}),
  ...times(r),
});

export const connectionOperations: AnyOperation[] = [
  defineOperation({
    service: EVENTS,
    name: 'CreateConnection',
    input: z.object({ Name: name, Description: z.string().max(512).optional(), AuthorizationType: authorizationType, AuthParameters: authParameters }),
    sensitive: SECRET_MEMBERS,
    resources: (i, c) => [connectionResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).createConnection(c, { ...i, AuthParameters: i.AuthParameters as AuthParameters });
      return { ConnectionArn: r.arn, ConnectionState: r.state, ...times(r) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'UpdateConnection',
    input: z.object({ Name: name, Description: z.string().max(512).optional(), AuthorizationType: authorizationType.optional(), AuthParameters: authParameters.optional() }),
    sensitive: SECRET_MEMBERS,
    resources: (i, c) => [connectionResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).updateConnection(c, { ...i, AuthParameters: i.AuthParameters as AuthParameters | undefined });
      return { ConnectionArn: r.arn, ConnectionState: r.state, ...times(r), LastAuthorizedTime: new Date(r.authorized_at) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DescribeConnection',
    input: z.object({ Name: name }),
    resources: (i, c) => [connectionResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).requireConnection(c, i.Name);
      return { ...connectionSummary(r), ...(r.description ? { Description: r.description } : {}), AuthParameters: JSON.parse(r.auth_public) as AuthParameters };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListConnections',
    input: z.object({ NamePrefix: z.string().min(1).max(64).optional(), ConnectionState: z.enum(['CREATING', 'UPDATING', 'DELETING', 'AUTHORIZED', 'DEAUTHORIZED', 'AUTHORIZING', 'DEAUTHORIZING']).optional(), NextToken: nextToken, Limit: limit }),
    handler: async (i, c) => {
      const { rows, NextToken } = await connectionService(c.core).listConnections(c, i);
      return { Connections: rows.map(connectionSummary), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DeleteConnection',
    input: z.object({ Name: name }),
    resources: (i, c) => [connectionResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).deleteConnection(c, i.Name);
      const { Name: _n, AuthorizationType: _a, ...rest } = connectionSummary(r);
      return rest;
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'CreateApiDestination',
    input: z.object({ Name: name, Description: z.string().max(512).optional(), ConnectionArn: connectionArnShape, InvocationEndpoint: endpoint, HttpMethod: httpMethod, InvocationRateLimitPerSecond: z.number().int().min(1).optional() }),
    resources: (i, c) => [apiDestinationResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).createApiDestination(c, i);
      return { ApiDestinationArn: r.arn, ApiDestinationState: r.state, ...times(r) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'UpdateApiDestination',
    input: z.object({ Name: name, Description: z.string().max(512).optional(), ConnectionArn: connectionArnShape.optional(), InvocationEndpoint: endpoint.optional(), HttpMethod: httpMethod.optional(), InvocationRateLimitPerSecond: z.number().int().min(1).optional() }),
    resources: (i, c) => [apiDestinationResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).updateApiDestination(c, i);
      return { ApiDestinationArn: r.arn, ApiDestinationState: r.state, ...times(r) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DescribeApiDestination',
    input: z.object({ Name: name }),
    resources: (i, c) => [apiDestinationResource(c, i.Name)],
    handler: async (i, c) => {
      const r = await connectionService(c.core).requireApiDestination(c, i.Name);
      return { ...destinationView(r), ...(r.description ? { Description: r.description } : {}) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'ListApiDestinations',
    input: z.object({ NamePrefix: z.string().min(1).max(64).optional(), ConnectionArn: connectionArnShape.optional(), NextToken: nextToken, Limit: limit }),
    handler: async (i, c) => {
      const { rows, NextToken } = await connectionService(c.core).listApiDestinations(c, i);
      return { ApiDestinations: rows.map(destinationView), ...(NextToken ? { NextToken } : {}) };
    },
  }),
  defineOperation({
    service: EVENTS,
    name: 'DeleteApiDestination',
    input: z.object({ Name: name }),
    resources: (i, c) => [apiDestinationResource(c, i.Name)],
    handler: async (i, c) => {
      await connectionService(c.core).deleteApiDestination(c, i.Name);
      return {};
    },
  }),
];
