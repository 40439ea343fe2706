/** The product version, shared by the appliance and the Jump Client. A build may stamp another. */
declare const __JUMPGATE_VERSION__: string | undefined;

export const VERSION: string = typeof __JUMPGATE_VERSION__ === 'string' ? __JUMPGATE_VERSION__ : '0.1.0';
