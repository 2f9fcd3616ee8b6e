// Every fix module. Empty until `podlift fix` lands (issue 3); the registry test already holds
// fixes to the same rules as checks.
export interface FixModule {
  id: string;
  title: string;
  addresses: string[];
  risk: "safe" | "confirm";
}

export const fixes: readonly FixModule[] = [];
