import { Client, Connection } from '@temporalio/client';
import { submitForm } from '../client/lead-intake';
import { defaultLeadPolicy } from '../domain/lead-policy';

/**
 * Sends one form fill to the running system, as marketing automation will through the HTTP API:
 *   npm run try-lead -- someone@example.com [formType]
 * A demo_request with the sample profile becomes an MQL at once and gets an owner and an SLA.
 */
async function main(): Promise<void> {
  const [email = 'ada@analytical-engines.example', formType = 'demo_request'] = process.argv.slice(2);
  const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const answer = await submitForm(
      client,
      {
        formType,
        profile: {
          email,
          firstName: 'Ada',
          lastName: 'Lovelace',
          phone: '+44 20 7946 0000',
          company: 'Analytical Engines Ltd',
          country: 'GB',
          productInterest: 'lead routing',
          seniority: 'vp',
          employeeCount: 1200,
          industry: 'software',
        },
        source: { channel: 'try-lead' },
      },
      defaultLeadPolicy,
    );
    console.log(JSON.stringify(answer));
    console.log(`Temporal UI: http://localhost:${process.env.TEMPORAL_UI_PORT ?? 8233}/namespaces/default/workflows/${answer.leadId}`);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
