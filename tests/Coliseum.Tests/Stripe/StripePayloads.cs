using System.Text.Json;
using System.Text.Json.Nodes;

namespace Coliseum.Tests.Stripe;

/// <summary>
/// Webhook bodies shaped like Stripe's (API version 2024-06-20): the event envelope and each object with
/// the field names and kinds of Stripe's API reference, pretty-printed as Stripe sends them.
/// </summary>
internal static class StripePayloads
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public const long Created = 1_764_000_000; // 2025-11-24T16:00:00Z

    public static string Event(string type, JsonObject data, string id = "evt_1QJ8cK2eZvKYlo2CxYq5n0aB", JsonObject? previous = null, long created = Created, string? account = null)
    {
        var dataNode = new JsonObject { ["object"] = data };
        if (previous is not null)
        {
            dataNode["previous_attributes"] = previous;
        }
        var ev = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = "2024-06-20",
            ["created"] = created,
            ["data"] = dataNode,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = "req_Bz2vFRJYq4mSkl", ["idempotency_key"] = "b9f8b0a6-5c3e-4e83-a5f2-1f0e4a1c2d33" },
            ["type"] = type,
        };
        if (account is not null)
        {
            ev["account"] = account;
        }
        return ev.ToJsonString(Indented);
    }

    public static JsonObject Metadata(params (string Key, string Value)[] pairs)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in pairs)
        {
            metadata[key] = value;
        }
        return metadata;
    }

    public static JsonObject CheckoutSession(string paymentIntent, long amountTotal, JsonObject metadata, string? clientReferenceId = null,
        string mode = "payment", string paymentStatus = "paid", string id = "cs_test_a1b2c3d4e5f6g7h8i9j0") => new()
    {
        ["id"] = id,
        ["object"] = "checkout.session",
        ["amount_subtotal"] = amountTotal,
        ["amount_total"] = amountTotal,
        ["cancel_url"] = "https://coliseum.example/checkout/cancel",
        ["client_reference_id"] = clientReferenceId,
        ["created"] = Created - 120,
        ["currency"] = "usd",
        ["customer"] = "cus_R3xbPq8vTzLm2a",
        ["customer_details"] = new JsonObject { ["email"] = "fan@example.com", ["name"] = "Ana Fan", ["tax_exempt"] = "none" },
        ["expires_at"] = Created + 86_280,
        ["invoice"] = null,
        ["livemode"] = false,
        ["metadata"] = metadata,
        ["mode"] = mode,
        ["payment_intent"] = mode == "payment" ? paymentIntent : null,
        ["payment_method_types"] = new JsonArray("card"),
        ["payment_status"] = paymentStatus,
        ["status"] = "complete",
        ["subscription"] = mode == "subscription" ? "sub_1QJ8aa2eZvKYlo2C" : null,
        ["success_url"] = "https://coliseum.example/checkout/success",
        ["total_details"] = new JsonObject { ["amount_discount"] = 0, ["amount_shipping"] = 0, ["amount_tax"] = 0 },
        ["url"] = null,
    };

    public static JsonObject PaymentIntent(string id, long amount, JsonObject metadata) => new()
    {
        ["id"] = id,
        ["object"] = "payment_intent",
        ["amount"] = amount,
        ["amount_capturable"] = 0,
        ["amount_received"] = amount,
        ["capture_method"] = "automatic_async",
        ["client_secret"] = id + "_secret_kT9qvXo2",
        ["confirmation_method"] = "automatic",
        ["created"] = Created - 60,
        ["currency"] = "usd",
        ["customer"] = "cus_R3xbPq8vTzLm2a",
        ["description"] = null,
        ["latest_charge"] = "ch_3QJ8cK2eZvKYlo2C0s8aPq1w",
        ["livemode"] = false,
        ["metadata"] = metadata,
        ["payment_method"] = "pm_1QJ8cJ2eZvKYlo2CmvWy5Bn3",
        ["payment_method_types"] = new JsonArray("card"),
        ["status"] = "succeeded",
    };

    public static JsonObject Charge(string id, string paymentIntent, long amount, long amountRefunded, JsonObject metadata, params (string Id, long Amount)[] refunds)
    {
        var data = new JsonArray();
        foreach (var (refundId, refundAmount) in refunds)
        {
            data.Add(new JsonObject
            {
                ["id"] = refundId,
                ["object"] = "refund",
                ["amount"] = refundAmount,
                ["charge"] = id,
                ["created"] = Created,
                ["currency"] = "usd",
                ["metadata"] = new JsonObject(),
                ["payment_intent"] = paymentIntent,
                ["reason"] = "requested_by_customer",
                ["status"] = "succeeded",
            });
        }
        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "charge",
            ["amount"] = amount,
            ["amount_captured"] = amount,
            ["amount_refunded"] = amountRefunded,
            ["balance_transaction"] = "txn_3QJ8cK2eZvKYlo2C0Zk1mN2b",
            ["captured"] = true,
            ["created"] = Created - 3600,
            ["currency"] = "usd",
            ["customer"] = "cus_R3xbPq8vTzLm2a",
            ["livemode"] = false,
            ["metadata"] = metadata,
            ["paid"] = true,
            ["payment_intent"] = paymentIntent,
            ["refunded"] = amountRefunded == amount,
            ["refunds"] = new JsonObject { ["object"] = "list", ["data"] = data, ["has_more"] = false, ["total_count"] = refunds.Length, ["url"] = $"/v1/charges/{id}/refunds" },
            ["status"] = "succeeded",
        };
    }

    public static JsonObject Transfer(string id, long amount, string destination, JsonObject metadata) => new()
    {
        ["id"] = id,
        ["object"] = "transfer",
        ["amount"] = amount,
        ["amount_reversed"] = 0,
        ["balance_transaction"] = "txn_1QJ8dd2eZvKYlo2CkQ2u7Wcs",
        ["created"] = Created,
        ["currency"] = "usd",
        ["description"] = null,
        ["destination"] = destination,
        ["destination_payment"] = "py_1QJ8dd2xYz9AbCdEf",
        ["livemode"] = false,
        ["metadata"] = metadata,
        ["reversals"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(), ["has_more"] = false, ["total_count"] = 0, ["url"] = $"/v1/transfers/{id}/reversals" },
        ["reversed"] = false,
        ["source_transaction"] = null,
        ["source_type"] = "card",
        ["transfer_group"] = "ORDER_95",
    };

    public static JsonObject Payout(string id, long amount, JsonObject metadata) => new()
    {
        ["id"] = id,
        ["object"] = "payout",
        ["amount"] = amount,
        ["arrival_date"] = Created + 86_400,
        ["automatic"] = false,
        ["balance_transaction"] = "txn_1QJ8ee2eZvKYlo2CpL0o9Ikm",
        ["created"] = Created - 86_400,
        ["currency"] = "usd",
        ["description"] = "Artist payout",
        ["destination"] = "ba_1QJ8ee2eZvKYlo2C7yUhGt5r",
        ["failure_balance_transaction"] = null,
        ["failure_code"] = null,
        ["failure_message"] = null,
        ["livemode"] = false,
        ["metadata"] = metadata,
        ["method"] = "standard",
        ["source_type"] = "card",
        ["statement_descriptor"] = null,
        ["status"] = "paid",
        ["type"] = "bank_account",
    };

    public static JsonObject Invoice(string id, long amountDue, string? paymentIntent, JsonObject subscriptionMetadata) => new()
    {
        ["id"] = id,
        ["object"] = "invoice",
        ["account_country"] = "US",
        ["amount_due"] = amountDue,
        ["amount_paid"] = 0,
        ["amount_remaining"] = amountDue,
        ["attempt_count"] = 2,
        ["attempted"] = true,
        ["billing_reason"] = "subscription_cycle",
        ["collection_method"] = "charge_automatically",
        ["created"] = Created - 7200,
        ["currency"] = "usd",
        ["customer"] = "cus_R3xbPq8vTzLm2a",
        ["livemode"] = false,
        ["metadata"] = new JsonObject(),
        ["next_payment_attempt"] = Created + 259_200,
        ["paid"] = false,
        ["payment_intent"] = paymentIntent,
        ["status"] = "open",
        ["subscription"] = "sub_1QJ8aa2eZvKYlo2C",
        ["subscription_details"] = new JsonObject { ["metadata"] = subscriptionMetadata },
        ["total"] = amountDue,
    };

    public static JsonObject Subscription(string id, JsonObject metadata, string priceId, string? lookupKey, long unitAmount, string interval,
        long quantity = 1, string status = "active", string? cancellationReason = null) => new()
    {
        ["id"] = id,
        ["object"] = "subscription",
        ["billing_cycle_anchor"] = Created,
        ["cancel_at"] = null,
        ["cancel_at_period_end"] = false,
        ["canceled_at"] = cancellationReason is null ? null : Created,
        ["cancellation_details"] = new JsonObject { ["comment"] = null, ["feedback"] = null, ["reason"] = cancellationReason },
        ["collection_method"] = "charge_automatically",
        ["created"] = Created,
        ["currency"] = "usd",
        ["current_period_end"] = Created + 2_592_000,
        ["current_period_start"] = Created,
        ["customer"] = "cus_R3xbPq8vTzLm2a",
        ["items"] = new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(new JsonObject
            {
                ["id"] = "si_R3xc0aBcDeFgHi",
                ["object"] = "subscription_item",
                ["created"] = Created,
                ["metadata"] = new JsonObject(),
                ["price"] = new JsonObject
                {
                    ["id"] = priceId,
                    ["object"] = "price",
                    ["active"] = true,
                    ["billing_scheme"] = "per_unit",
                    ["currency"] = "usd",
                    ["lookup_key"] = lookupKey,
                    ["nickname"] = null,
                    ["product"] = "prod_R3xcPremium01",
                    ["recurring"] = new JsonObject { ["aggregate_usage"] = null, ["interval"] = interval, ["interval_count"] = 1, ["usage_type"] = "licensed" },
                    ["type"] = "recurring",
                    ["unit_amount"] = unitAmount,
                    ["unit_amount_decimal"] = unitAmount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                },
                ["quantity"] = quantity,
                ["subscription"] = id,
            }),
            ["has_more"] = false,
            ["total_count"] = 1,
            ["url"] = $"/v1/subscription_items?subscription={id}",
        },
        ["livemode"] = false,
        ["metadata"] = metadata,
        ["status"] = status,
    };
}
