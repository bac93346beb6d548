/**
 * HTTP and database client span names through the real pipeline: a safe
 * method + route or operation + collection instead of `redacted`, with every
 * id, number, e-mail address, token and query string left out.
 */
import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { safePath } from '../../src/privacy/span-name.js';
import { createPipeline } from '../support/pipeline.js';

function exportedName(name: string, attributes: Attributes = {}) {
  const p = createPipeline();
  p.provider.getTracer('http').startSpan(name, { attributes }).end();
  return p.spans()[0]!.name;
}

describe('HTTP client spans', () => {
  it('keeps POST /v1/chat/completions as docs/privacy.md says', () => {
    expect(exportedName('POST /v1/chat/completions')).toBe('POST /v1/chat/completions');
    expect(exportedName('POST /v1beta/models/gemini-2.5-pro:generateContent')).toBe(
      'POST /v1beta/models/gemini-2.5-pro:generateContent',
    );
  });

  it('names a span from the method and the route template, else a safe form of the path', () => {
    expect(
      exportedName('HTTP POST', {
        'http.request.method': 'POST',
        'http.route': '/users/:id/orders',
      }),
    ).toBe('POST /users/:id/orders');
    expect(
      exportedName('POST', {
        'http.request.method': 'POST',
        'url.template': '/v1/threads/{thread_id}',
      }),
    ).toBe('POST');
    expect(
      exportedName('HTTP GET', {
        'http.method': 'GET',
        'http.target':
          '/v1/users/42/files/0b8d3c1e-6f2a-4a77-9b3e-1c2d3e4f5a6b?email=jane@example.com',
      }),
    ).toBe('GET /v1/users/{id}/files/{id}');
    expect(
      exportedName('HTTP POST', {
        'http.request.method': 'POST',
        'url.full': 'https://api.openai.com/v1/chat/completions?api-key=sk-abcdefgh12345678',
      }),
    ).toBe('POST /v1/chat/completions');
    expect(exportedName('HTTP PUT', { 'http.request.method': 'PUT' })).toBe('PUT');
  });

  it.each([
    ['/v1/users/jane@example.com', '/v1/users/{id}'],
    ['/v1/users/4155550199/calls', '/v1/users/{id}/calls'],
    ['/files/a1b2c3d4e5f6', '/files/{id}'],
    ['/files/deadbeefcafe1234', '/files/{id}'],
    ['/s/xK9fLm2QpR7sT4vW', '/s/{id}'],
    ['/s/Sm9obiBTbWl0aA', '/s/{id}'],
    ['/tokens/sk-abcdefgh12345678', '/tokens/{id}'],
    ['/orders/2024-06-01', '/orders/{id}'],
    ['/a%20b', '/{id}'],
    ['/v1/chat/completions?user=jane', '/v1/chat/completions'],
    ['/v1/chat/completions#jane', '/v1/chat/completions'],
  ])('replaces unsafe segments of %s', (raw, safe) => {
    expect(safePath(raw)).toBe(safe);
    expect(exportedName(`POST ${raw}`)).toBe(`POST ${safe}`);
  });

  it('refuses a name that is no path under a method, and a method it does not know', () => {
    expect(exportedName('GET users/12345')).toBe('GET');
    expect(exportedName('FETCH /v1/x', { 'http.request.method': 'FETCH' })).toBe('redacted');
    expect(safePath('/a/'.repeat(20))).toBeUndefined();
  });
});

describe('database client spans', () => {
  it('names a span from db.operation.name and db.collection.name', () => {
    expect(
      exportedName('SELECT * FROM users WHERE email = $1', {
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'users',
        'db.query.text': "SELECT * FROM users WHERE email = 'jane@example.com'",
      }),
    ).toBe('SELECT users');
    expect(exportedName('mongodb.find', { 'db.system': 'mongodb', 'db.operation': 'find' })).toBe(
      'mongodb.find',
    );
    expect(
      exportedName('find customers 4155550199', {
        'db.system': 'mongodb',
        'db.operation': 'find',
        'db.mongodb.collection': 'customers',
      }),
    ).toBe('find customers');
  });

  it('reads only the leading keyword of a query, and leaves out an unsafe collection', () => {
    expect(
      exportedName("UPDATE accounts SET email='jane@example.com'", {
        'db.system': 'mysql',
        'db.statement': "UPDATE accounts SET email='jane@example.com'",
      }),
    ).toBe('UPDATE');
    expect(exportedName('pg.query:SELECT customer_db_jane', { 'db.system': 'postgresql' })).toBe(
      'SELECT',
    );
    expect(
      exportedName('select stuff', {
        'db.system': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'tenant_4155550199',
      }),
    ).toBe('SELECT');
    expect(
      exportedName('Jane Doe', { 'db.system': 'postgresql', 'db.operation.name': 'jane_doe' }),
    ).toBe('redacted');
  });

  it('keeps a safe database name on a second pass (the collector after the SDK)', () => {
    expect(exportedName('SELECT users')).toBe('SELECT users');
    expect(exportedName('SELECT users_4155550199')).toBe('redacted');
  });
});
