import { describe, expect, it } from 'vitest';
import { embeddedLocalSourcesEnv } from './local-sources.ts';

describe('embeddedLocalSourcesEnv', () => {
  it('allows local sources when npm start listens on loopback only, unless set explicitly', () => {
    expect(embeddedLocalSourcesEnv({})).toEqual({ ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' });
    expect(embeddedLocalSourcesEnv({ HOST: '127.0.0.1' })).toEqual({ ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' });
    expect(embeddedLocalSourcesEnv({ HOST: 'localhost' })).toEqual({ ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' });
    expect(embeddedLocalSourcesEnv({ HOST: '::1' })).toEqual({ ARCHWAY_ALLOW_LOCAL_SOURCES: 'true' });
    expect(embeddedLocalSourcesEnv({ ARCHWAY_ALLOW_LOCAL_SOURCES: 'false' })).toEqual({});
  });

  it('leaves the API default (refused) when it listens on other interfaces', () => {
    expect(embeddedLocalSourcesEnv({ HOST: '0.0.0.0' })).toEqual({});
    expect(embeddedLocalSourcesEnv({ HOST: '::' })).toEqual({});
    expect(embeddedLocalSourcesEnv({ HOST: '192.168.1.5' })).toEqual({});
  });
});
