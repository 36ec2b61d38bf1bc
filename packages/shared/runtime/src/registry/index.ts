// Registry names and token challenges, shared by the merger (pushes) and the API (base-image polls).
export * from './challenge.ts';
export * from './host.ts';
