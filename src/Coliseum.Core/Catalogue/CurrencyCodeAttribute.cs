namespace Coliseum.Catalogue;

/// <summary>An ISO 4217 currency code, stored in lower case (<c>usd</c>).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
public sealed class CurrencyCodeAttribute : Attribute;
